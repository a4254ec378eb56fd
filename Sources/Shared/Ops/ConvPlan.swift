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
        inChannelsPerGroup = conv.weightShape[1]
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
        if readsInputDirectly, groups == 1 {
            if let residual {
                residual.withUnsafeBufferPointer {
                    runDirect(
                        input: input, packedWeight: packedWeight, output: output, residual: $0.baseAddress! + residualOffset,
                        bias: bias?.scalars)
                }
            } else {
                runDirect(input: input, packedWeight: packedWeight, output: output, residual: nil, bias: bias?.scalars)
            }
            return
        }
        var accumulate = prepareOutput(output, residual: residual, residualOffset: residualOffset, bias: bias)
        let inPlane = height * width
        if liveTapRuns.isEmpty, !accumulate {
            output.update(repeating: 0, count: outputImageCount)
        }
        let columnRows = readsInputDirectly ? 0 : columnRowCount
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
                        unfold(groupInput, taps: run, rows: 0..<outHeight, into: buffer.baseAddress!)
                        multiply(buffer.baseAddress!)
                    }
                }
            }
            accumulate = true
        }
        if activation == .relu { Elementwise.reluInPlace(output, count: outputImageCount) }
    }

    /// A 1x1 convolution: one GEMM on the input itself. Each thread takes the block of the output the GEMM
    /// would give it (`Gemm.forEachThreadsBlock`), writes the block's bias and residual, multiplies onto them
    /// and applies the ReLU, so the block stays in its core's cache from the first step to the last. (With
    /// each step split its own way, two of the three hand-offs crossed cores.)
    private func runDirect(
        input: UnsafePointer<Float>, packedWeight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        residual: UnsafePointer<Float>?, bias: [Float]?
    ) {
        let (channels, pixels, depth) = (outChannelsPerGroup, outPlane, inChannelsPerGroup)
        let relu = activation == .relu
        let accumulate = residual != nil || bias != nil
        Gemm.forEachThreadsBlock(m: channels, n: pixels) { rows, columns in
            if accumulate {
                for o in rows {
                    let row = output + o * pixels + columns.lowerBound
                    let shift = bias?[o] ?? 0
                    if let residual {
                        let from = residual + o * pixels + columns.lowerBound
                        for i in 0..<columns.count { row[i] = from[i] + shift }
                    } else {
                        row.update(repeating: shift, count: columns.count)
                    }
                }
            }
            Gemm.multiply(
                m: rows.count, n: columns.count, k: depth, a: packedWeight + rows.lowerBound * packedRowLength,
                lda: packedRowLength, b: input + columns.lowerBound, ldb: pixels,
                c: output + rows.lowerBound * pixels + columns.lowerBound, ldc: pixels, beta: accumulate ? 1 : 0)
            if relu {
                for o in rows {
                    let row = output + o * pixels + columns.lowerBound
                    for i in 0..<columns.count where row[i] < 0 { row[i] = 0 }
                }
            }
        }
    }

    /// Rows of the column matrix for one panel of output rows, the most any run of live taps needs.
    var columnRowCount: Int { (liveTapRuns.map(\.count).max() ?? 0) * inChannelsPerGroup }

    /// Output rows `rows` of one image into `panel` [Cout, rows.count, Wout], bias and activation applied, for a
    /// consumer that takes the map a few rows at a time while they are in cache (`Conv2d.callAsFunction(_:after:
    /// normalizedBy:)`). `columns` holds `columnRowCount` x rows.count·Wout floats. No residual.
    func run(
        rows: Range<Int>, input: UnsafePointer<Float>, packedWeight: UnsafePointer<Float>,
        into panel: UnsafeMutablePointer<Float>, bias: [Float]?, columns: UnsafeMutablePointer<Float>
    ) {
        let pixels = rows.count * outWidth
        let inPlane = height * width
        if let bias {
            for c in 0..<outChannelsPerGroup * groups { (panel + c * pixels).update(repeating: bias[c], count: pixels) }
        }
        var accumulate = bias != nil
        if liveTapRuns.isEmpty, !accumulate { panel.update(repeating: 0, count: outChannelsPerGroup * groups * pixels) }
        for run in liveTapRuns {
            for group in 0..<groups {
                let groupInput = input + group * inChannelsPerGroup * inPlane
                unfold(groupInput, taps: run, rows: rows, into: columns)
                Gemm.multiply(
                    m: outChannelsPerGroup, n: pixels, k: run.count * inChannelsPerGroup,
                    a: packedWeight + group * outChannelsPerGroup * packedRowLength
                        + run.lowerBound * inChannelsPerGroup,
                    lda: packedRowLength, b: columns, ldb: pixels,
                    c: panel + group * outChannelsPerGroup * pixels, ldc: pixels, beta: accumulate ? 1 : 0)
            }
            accumulate = true
        }
        if activation == .relu { Elementwise.reluInPlace(panel, count: outChannelsPerGroup * groups * pixels) }
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

    /// im2col for one group, a run of taps and a range of output rows: row (tap − first)·Cin/g + c holds input
    /// channel c shifted by the tap, for those output rows.
    private func unfold(
        _ input: UnsafePointer<Float>, taps: Range<Int>, rows: Range<Int>,
        into columns: UnsafeMutablePointer<Float>
    ) {
        let kw = kernel.1
        let (sh, sw) = geometry.stride
        let (ph, pw) = geometry.padding
        let (dh, dw) = geometry.dilation
        let (height, width, outWidth) = (height, width, outWidth)
        let pixels = rows.count * outWidth
        let channels = inChannelsPerGroup
        // Split by column rows, (tap, channel) pairs, not by channels: the encoder's first conv has three.
        Compute.parallelFor(taps.count * channels, minimumPerThread: 4) { range in
            for columnRow in range {
                let (tap, c) = (taps.lowerBound + columnRow / channels, columnRow % channels)
                let plane = input + c * height * width
                let (i, j) = (tap / kw, tap % kw)
                let row = columns + columnRow * pixels
                // Output columns whose input column ox·sw + shift lies inside [0, width).
                let shift = j * dw - pw
                let first = shift >= 0 ? 0 : (-shift + sw - 1) / sw
                let last = width - 1 - shift < 0 ? 0 : min(outWidth, (width - 1 - shift) / sw + 1)
                for oy in rows {
                    let destination = row + (oy - rows.lowerBound) * outWidth
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
