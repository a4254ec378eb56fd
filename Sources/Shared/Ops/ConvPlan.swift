/// The GEMM formulation of one convolution on one image. Per group:
/// output[Cout/g, Hout·Wout] = weight[Cout/g, taps·Cin/g] · columns[taps·Cin/g, Hout·Wout],
/// with the weight packed tap-major ([Cout, kh, kw, Cin/g]) so that the rows of one kernel tap are
/// contiguous in both matrices.
///
/// Taps that read only zero padding for this input size are skipped: they contribute exactly zero.
/// On DeepLab's 13x13 layer4 map every off-centre tap of the rate-24 and rate-36 ASPP convolutions
/// is such a tap, and at rate 12 most are, so ASPP costs a fraction of its nominal work.
///
/// The bias and a residual are written into the output first and the GEMMs accumulate onto them
/// (beta = 1), so the epilogue is at most one ReLU pass.
struct ConvPlan {
    let inChannelsPerGroup: Int
    let outChannelsPerGroup: Int
    let groups: Int
    let kernel: (Int, Int)
    let geometry: ConvGeometry
    let height: Int, width: Int
    let outHeight: Int, outWidth: Int
    let activation: Activation
    /// Maximal runs of consecutive live taps (tap = i·kw + j), each one GEMM.
    let liveTapRuns: [Range<Int>]

    var inputImageCount: Int { inChannelsPerGroup * groups * height * width }
    var outputImageCount: Int { outChannelsPerGroup * groups * outHeight * outWidth }
    var outPlane: Int { outHeight * outWidth }
    /// Columns of the packed weight per output channel.
    var packedRowLength: Int { kernel.0 * kernel.1 * inChannelsPerGroup }

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
        liveTapRuns = Self.liveTapRuns(
            kernel: conv.kernel, geometry: conv.geometry, height: inputHeight, width: inputWidth,
            outHeight: outputHeight, outWidth: outputWidth)
    }

    /// Tap (i, j) is live when some output pixel reads an in-bounds input through it.
    private static func liveTapRuns(
        kernel: (Int, Int), geometry: ConvGeometry, height: Int, width: Int,
        outHeight: Int, outWidth: Int
    ) -> [Range<Int>] {
        func live(_ tap: Int, dilation: Int, padding: Int, stride: Int, size: Int, outSize: Int) -> Bool {
            let shift = tap * dilation - padding
            // Output positions o with 0 <= o·stride + shift < size exist iff the first valid o is < outSize.
            guard shift < size else { return false }
            let first = shift >= 0 ? 0 : (-shift + stride - 1) / stride
            return first < outSize && first * stride + shift < size
        }
        var runs: [Range<Int>] = []
        var runStart: Int?
        for tap in 0...kernel.0 * kernel.1 {
            let isLive =
                tap < kernel.0 * kernel.1
                && live(
                    tap / kernel.1, dilation: geometry.dilation.0, padding: geometry.padding.0, stride: geometry.stride.0,
                    size: height, outSize: outHeight)
                && live(
                    tap % kernel.1, dilation: geometry.dilation.1, padding: geometry.padding.1, stride: geometry.stride.1,
                    size: width, outSize: outWidth)
            if isLive, runStart == nil { runStart = tap }
            if !isLive, let start = runStart {
                runs.append(start..<tap)
                runStart = nil
            }
        }
        return runs
    }

    func run(
        input: UnsafePointer<Float>, packedWeight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        residual: Tensor?, residualOffset: Int, bias: Tensor?
    ) {
        var accumulate = prepareOutput(output, residual: residual, residualOffset: residualOffset, bias: bias)
        let inPlane = height * width
        if liveTapRuns.isEmpty, !accumulate {
            output.update(repeating: 0, count: outputImageCount)
        }
        let columnRows = readsInputDirectly ? 0 : (liveTapRuns.map(\.count).max() ?? 0) * inChannelsPerGroup
        var columns = Tensor(uninitializedShape: [columnRows, outPlane])
        for run in liveTapRuns {
            let depth = run.count * inChannelsPerGroup
            for group in 0..<groups {
                let groupInput = input + group * inChannelsPerGroup * inPlane
                let a = packedWeight + group * outChannelsPerGroup * packedRowLength + run.lowerBound * inChannelsPerGroup
                let c = output + group * outChannelsPerGroup * outPlane
                func multiply(_ b: UnsafePointer<Float>) {
                    Gemm.multiply(
                        m: outChannelsPerGroup, n: outPlane, k: depth, a: a, lda: packedRowLength,
                        b: b, ldb: outPlane, c: c, ldc: outPlane, beta: accumulate ? 1 : 0)
                }
                if readsInputDirectly {
                    multiply(groupInput)
                } else {
                    columns.withUnsafeMutableBufferPointer { buffer in
                        unfold(groupInput, taps: run, into: buffer.baseAddress!)
                        multiply(buffer.baseAddress!)
                    }
                }
            }
            accumulate = true
        }
        if activation == .relu { Elementwise.reluInPlace(output, count: outputImageCount) }
    }

    /// Writes residual + bias into the output; returns whether the GEMMs must accumulate onto it.
    private func prepareOutput(
        _ output: UnsafeMutablePointer<Float>, residual: Tensor?, residualOffset: Int,
        bias: Tensor?
    ) -> Bool {
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
                        for i in 0..<plane { row[i] = from[i] + shift }
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

    /// im2col for one group and a run of taps: row (tap − first)·Cin/g + c holds input channel c shifted by the tap.
    private func unfold(_ input: UnsafePointer<Float>, taps: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
        let kw = kernel.1
        let (sh, sw) = geometry.stride
        let (ph, pw) = geometry.padding
        let (dh, dw) = geometry.dilation
        let (height, width, outHeight, outWidth) = (height, width, outHeight, outWidth)
        let channels = inChannelsPerGroup
        Compute.parallelFor(channels, minimumPerThread: 4) { range in
            for c in range {
                let plane = input + c * height * width
                for tap in taps {
                    let (i, j) = (tap / kw, tap % kw)
                    let row = columns + ((tap - taps.lowerBound) * channels + c) * outHeight * outWidth
                    // Output columns whose input column ox·sw + shift lies inside [0, width).
                    let shift = j * dw - pw
                    let first = shift >= 0 ? 0 : (-shift + sw - 1) / sw
                    let last = width - 1 - shift < 0 ? 0 : min(outWidth, (width - 1 - shift) / sw + 1)
                    for oy in 0..<outHeight {
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
                            for ox in first..<last { destination[ox] = source[ox * sw] }
                        }
                        if last < outWidth { (destination + last).update(repeating: 0, count: outWidth - last) }
                    }
                }
            }
        }
    }
}
