/// Parallel "same"-size convolutions that read one input, as ASPP's 1x1 and dilated 3x3 branches do, computed
/// together with their outputs concatenated along channels.
///
/// Every branch's centre tap reads the input unshifted, so the centre taps of all branches are one GEMM with the
/// branches' weights stacked ([ΣCout, Cin] · [Cin, H·W]): one pass over the input instead of one per branch, and a
/// product tall enough to run near the kernel's best. Each off-centre tap then adds its product on the output
/// rectangle where it reads inside the map, and nowhere else. On DeepLab's small layer4 maps a dilated tap reads
/// mostly zero padding (official model, 13x10 map: the rate-12 horizontal taps reach inside for one column of
/// thirteen, the vertical ones and every tap at rates 24 and 36 for none), where im2col would multiply the zeros.
public struct AtrousBranches: Sendable {
    let branches: [Conv2d]
    /// [ΣCout, Cin]: each branch's centre tap, branch after branch.
    let stackedCentres: Tensor
    let stackedBias: [Float]
    let relu: Bool
    public let inChannels: Int
    public var outChannels: Int { stackedBias.count }

    /// `branches`: odd square kernels at stride 1 with "same" padding (dilation·(k−1)/2), one group, one input
    /// width, all with the same activation.
    public init(_ branches: [Conv2d]) {
        precondition(!branches.isEmpty, "no branches")
        let inChannels = branches[0].inChannels
        for conv in branches {
            let (kh, kw) = conv.kernel
            let g = conv.geometry
            precondition(
                conv.inChannels == inChannels && kh == kw && kh % 2 == 1 && g.stride == (1, 1) && g.groups == 1
                    && g.padding == (g.dilation.0 * (kh - 1) / 2, g.dilation.1 * (kw - 1) / 2)
                    && conv.activation == branches[0].activation,
                "atrous branches need one input, odd square kernels, stride 1, same padding and one activation")
        }
        self.branches = branches
        self.inChannels = inChannels
        relu = branches[0].activation == .relu
        let rows = branches.map(\.outChannels).reduce(0, +)
        var centres = Tensor(uninitializedShape: [rows, inChannels])
        var bias: [Float] = []
        centres.withUnsafeMutableBufferPointer { target in
            var row = 0
            for conv in branches {
                let taps = conv.kernel.0 * conv.kernel.1
                conv.packedWeight.withUnsafeBufferPointer { packed in
                    for o in 0..<conv.outChannels {
                        let centre = packed.baseAddress! + (o * taps + taps / 2) * inChannels
                        (target.baseAddress! + (row + o) * inChannels).update(from: centre, count: inChannels)
                    }
                }
                row += conv.outChannels
                bias += conv.bias?.scalars ?? [Float](repeating: 0, count: conv.outChannels)
            }
        }
        stackedCentres = centres
        stackedBias = bias
    }

    /// [N, Cin, H, W] → [N, ΣCout + trailing.C, H, W]: the branches' outputs, then `trailing` ([N, C, 1, 1], ASPP's
    /// image-pooling branch) broadcast over the map.
    public func callAsFunction(_ input: Tensor, followedBy trailing: Tensor) -> Tensor {
        precondition(input.rank == 4 && input.dim(1) == inChannels, "branches expect [N, \(inChannels), H, W], got \(input.shape)")
        let (n, height, width) = (input.dim(0), input.dim(2), input.dim(3))
        precondition(
            trailing.rank == 4 && trailing.dim(0) == n && trailing.dim(2) == 1 && trailing.dim(3) == 1,
            "trailing part must be [\(n), C, 1, 1], got \(trailing.shape)")
        let plane = height * width
        let total = outChannels + trailing.dim(1)
        let sideTaps = branches.indices.flatMap { offCentreTaps(of: $0, height: height, width: width) }
        let gatherCount = sideTaps.map { $0.inputCopy ? inChannels * $0.rectangle.pixels : 0 }.max() ?? 0
        let productCount = sideTaps.map { $0.rectangle.coversWholeRows(width: width) ? 0 : $0.outChannels * $0.rectangle.pixels }.max() ?? 0
        var gathered = Tensor(uninitializedShape: [max(gatherCount, 1)])
        var product = Tensor(uninitializedShape: [max(productCount, 1)])
        var output = Tensor(uninitializedShape: [n, total, height, width])
        output.withUnsafeMutableBufferPointer { outBuffer in
            input.withUnsafeBufferPointer { inBuffer in
                stackedCentres.withUnsafeBufferPointer { centres in
                    trailing.withUnsafeBufferPointer { tail in
                        gathered.withUnsafeMutableBufferPointer { gatherBuffer in
                            product.withUnsafeMutableBufferPointer { productBuffer in
                                for image in 0..<n {
                                    let out = outBuffer.baseAddress! + image * total * plane
                                    let inp = inBuffer.baseAddress! + image * inChannels * plane
                                    for (row, shift) in stackedBias.enumerated() {
                                        (out + row * plane).update(repeating: shift, count: plane)
                                    }
                                    Gemm.multiply(
                                        m: outChannels, n: plane, k: inChannels, a: centres.baseAddress!, lda: inChannels,
                                        b: inp, ldb: plane, c: out, ldc: plane, beta: 1)
                                    for tap in sideTaps {
                                        tap.accumulate(
                                            input: inp, height: height, width: width, output: out,
                                            gathered: gatherBuffer.baseAddress!, product: productBuffer.baseAddress!)
                                    }
                                    if relu { Elementwise.reluInPlace(out, count: outChannels * plane) }
                                    let trailingChannels = trailing.dim(1)
                                    for c in 0..<trailingChannels {
                                        (out + (outChannels + c) * plane).update(
                                            repeating: tail[image * trailingChannels + c], count: plane)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// The multiply-accumulates of one image on an H x W map: the stacked centre taps everywhere, each off-centre tap
    /// on its rectangle.
    public func multiplyAccumulates(height: Int, width: Int) -> Int {
        let sideTaps = branches.indices.flatMap { offCentreTaps(of: $0, height: height, width: width) }
        return outChannels * inChannels * height * width
            + sideTaps.map { $0.outChannels * inChannels * $0.rectangle.pixels }.reduce(0, +)
    }

    /// The off-centre taps of branch `index` that read inside an H x W map, each with its output rectangle.
    private func offCentreTaps(of index: Int, height: Int, width: Int) -> [SideTap] {
        let conv = branches[index]
        let k = conv.kernel.0
        guard k > 1 else { return [] }
        let firstRow = branches[..<index].map(\.outChannels).reduce(0, +)
        var taps: [SideTap] = []
        for tap in 0..<k * k where tap != k * k / 2 {
            let dy = (tap / k - k / 2) * conv.geometry.dilation.0
            let dx = (tap % k - k / 2) * conv.geometry.dilation.1
            // Output pixels (y, x) whose input (y + dy, x + dx) lies inside the map.
            let (top, bottom) = (max(0, -dy), min(height, height - dy))
            let (left, right) = (max(0, -dx), min(width, width - dx))
            guard top < bottom, left < right else { continue }  // reads only padding
            taps.append(
                SideTap(
                    conv: conv, tap: tap, firstOutputRow: firstRow, shift: (dy, dx),
                    rectangle: OutputRectangle(rows: top..<bottom, columns: left..<right)))
        }
        return taps
    }
}

/// Output pixels rows × columns of one plane.
struct OutputRectangle {
    let rows: Range<Int>
    let columns: Range<Int>
    var pixels: Int { rows.count * columns.count }
    func coversWholeRows(width: Int) -> Bool { columns == 0..<width }
}

/// One off-centre tap of one branch: output[firstOutputRow + o, y, x] += Σc w[o, c, tap] · input[c, y + dy, x + dx]
/// over its rectangle.
private struct SideTap {
    let conv: Conv2d
    let tap: Int
    let firstOutputRow: Int
    let shift: (Int, Int)
    let rectangle: OutputRectangle

    var outChannels: Int { conv.outChannels }
    /// Whether the tap's input must be copied out first: unshifted sideways, it reads whole rows in place.
    var inputCopy: Bool { shift.1 != 0 }

    func accumulate(
        input: UnsafePointer<Float>, height: Int, width: Int, output: UnsafeMutablePointer<Float>,
        gathered: UnsafeMutablePointer<Float>, product: UnsafeMutablePointer<Float>
    ) {
        let plane = height * width
        let (dy, dx) = shift
        let (rows, columns) = (rectangle.rows, rectangle.columns)
        let channels = conv.inChannels
        let taps = conv.kernel.0 * conv.kernel.1
        let pixels = rectangle.pixels
        let b: UnsafePointer<Float>
        let ldb: Int
        if inputCopy {
            Compute.parallelFor(channels, minimumPerThread: 64) { range in
                for c in range {
                    for (r, y) in rows.enumerated() {
                        let source = input + c * plane + (y + dy) * width + columns.lowerBound + dx
                        (gathered + c * pixels + r * columns.count).update(from: source, count: columns.count)
                    }
                }
            }
            (b, ldb) = (UnsafePointer(gathered), pixels)
        } else {
            (b, ldb) = (input + (rows.lowerBound + dy) * width, plane)
        }
        conv.packedWeight.withUnsafeBufferPointer { packed in
            let a = packed.baseAddress! + tap * channels
            let lda = taps * channels
            let firstPixel = output + firstOutputRow * plane + rows.lowerBound * width
            if rectangle.coversWholeRows(width: width) {
                Gemm.multiply(
                    m: outChannels, n: pixels, k: channels, a: a, lda: lda, b: b, ldb: ldb, c: firstPixel, ldc: plane,
                    beta: 1)
                return
            }
            Gemm.multiply(
                m: outChannels, n: pixels, k: channels, a: a, lda: lda, b: b, ldb: ldb, c: product, ldc: pixels, beta: 0)
            Compute.parallelFor(outChannels, minimumPerThread: 16) { range in
                for o in range {
                    for r in 0..<rows.count {
                        let target = firstPixel + o * plane + r * width + columns.lowerBound
                        let source = product + o * pixels + r * columns.count
                        for i in 0..<columns.count { target[i] += source[i] }
                    }
                }
            }
        }
    }
}
