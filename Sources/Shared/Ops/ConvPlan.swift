import Foundation

/// The GEMM formulation of one convolution on one image: per group, output[Cout/g, Hout·Wout] =
/// weight[Cout/g, Cin/g·kh·kw] · columns[Cin/g·kh·kw, Hout·Wout].
///
/// The bias and a residual are written into the output first and accumulated onto by the GEMM
/// (beta = 1), so the epilogue costs one pass (ReLU) instead of three.
struct ConvPlan {
    let inChannelsPerGroup: Int
    let outChannelsPerGroup: Int
    let groups: Int
    let kernel: (Int, Int)
    let geometry: ConvGeometry
    let height: Int, width: Int
    let outHeight: Int, outWidth: Int
    let activation: Activation

    var inputImageCount: Int { inChannelsPerGroup * groups * height * width }
    var outputImageCount: Int { outChannelsPerGroup * groups * outHeight * outWidth }
    var columnRows: Int { inChannelsPerGroup * kernel.0 * kernel.1 }
    var outPlane: Int { outHeight * outWidth }

    /// A 1x1, stride-1, unpadded convolution reads its input as the GEMM's B matrix directly.
    var readsInputDirectly: Bool {
        kernel == (1, 1) && geometry.stride == (1, 1) && geometry.padding == (0, 0)
    }

    init(conv: Conv2d, inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int) {
        groups = conv.geometry.groups
        inChannelsPerGroup = conv.weight.dim(1)
        outChannelsPerGroup = conv.outChannels / groups
        kernel = conv.kernel
        geometry = conv.geometry
        height = inputHeight
        width = inputWidth
        outHeight = outputHeight
        outWidth = outputWidth
        activation = conv.activation
    }

    func run(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
             residual: Tensor?, residualOffset: Int, bias: Tensor?) {
        let accumulate = prepareOutput(output, residual: residual, residualOffset: residualOffset, bias: bias)
        func multiply(group: Int, columns: UnsafePointer<Float>) {
            Gemm.multiply(m: outChannelsPerGroup, n: outPlane, k: columnRows,
                          a: weight + group * outChannelsPerGroup * columnRows, lda: columnRows,
                          b: columns, ldb: outPlane,
                          c: output + group * outChannelsPerGroup * outPlane, ldc: outPlane,
                          beta: accumulate ? 1 : 0)
        }
        if readsInputDirectly {
            for group in 0 ..< groups { multiply(group: group, columns: input + group * inChannelsPerGroup * height * width) }
        } else {
            var columns = Tensor(uninitializedShape: [columnRows, outPlane])
            columns.withUnsafeMutableBufferPointer { buffer in
                for group in 0 ..< groups {
                    unfold(input + group * inChannelsPerGroup * height * width, into: buffer.baseAddress!)
                    multiply(group: group, columns: buffer.baseAddress!)
                }
            }
        }
        if activation == .relu { Elementwise.reluInPlace(output, count: outputImageCount) }
    }

    /// Writes residual + bias into the output; returns whether the GEMM must accumulate onto it.
    private func prepareOutput(_ output: UnsafeMutablePointer<Float>, residual: Tensor?, residualOffset: Int,
                               bias: Tensor?) -> Bool {
        guard residual != nil || bias != nil else { return false }
        let channels = outChannelsPerGroup * groups
        let plane = outPlane
        let biasScalars = bias?.scalars
        let fill = { (source: UnsafePointer<Float>?) in
            Compute.parallelFor(channels, minimumPerThread: 16) { range in
                for c in range {
                    let row = output + c * plane
                    let shift = biasScalars?[c] ?? 0
                    if let source {
                        let from = source + c * plane
                        for i in 0 ..< plane { row[i] = from[i] + shift }
                    } else {
                        row.update(repeating: shift, count: plane)
                    }
                }
            }
        }
        if let residual {
            residual.withUnsafeBufferPointer { fill($0.baseAddress! + residualOffset) }
        } else {
            fill(nil)
        }
        return true
    }

    /// im2col for one group: row (c·kh + i)·kw + j holds input channel c shifted by tap (i, j).
    private func unfold(_ input: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>) {
        let (kh, kw) = kernel
        let (sh, sw) = geometry.stride
        let (ph, pw) = geometry.padding
        let (dh, dw) = geometry.dilation
        let (height, width, outHeight, outWidth) = (height, width, outHeight, outWidth)
        Compute.parallelFor(inChannelsPerGroup) { range in
            for c in range {
                let plane = input + c * height * width
                for i in 0 ..< kh {
                    for j in 0 ..< kw {
                        let row = columns + ((c * kh + i) * kw + j) * outHeight * outWidth
                        // Output columns whose input column ix = ox·sw − pw + j·dw lies inside [0, width).
                        let shift = j * dw - pw
                        let first = shift >= 0 ? 0 : (-shift + sw - 1) / sw
                        let last = width - 1 - shift < 0 ? 0 : min(outWidth, (width - 1 - shift) / sw + 1)
                        for oy in 0 ..< outHeight {
                            let destination = row + oy * outWidth
                            let iy = oy * sh - ph + i * dh
                            guard iy >= 0, iy < height, first < last else {
                                destination.update(repeating: 0, count: outWidth)
                                continue
                            }
                            if first > 0 { destination.update(repeating: 0, count: first) }
                            let source = plane + iy * width + shift
                            if sw == 1 {
                                (destination + first).update(from: source + first, count: last - first)
                            } else {
                                for ox in first ..< last { destination[ox] = source[ox * sw] }
                            }
                            if last < outWidth { (destination + last).update(repeating: 0, count: outWidth - last) }
                        }
                    }
                }
            }
        }
    }
}
