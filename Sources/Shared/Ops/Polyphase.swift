/// Strided convolution without im2col, by polyphase decomposition: the zero-padded input is split once
/// into its stride×stride phases (phase (ry, rx) holds the padded pixels at rows ≡ ry, columns ≡ rx), and
/// kernel tap (i, j) = (a·sh + ry, b·sw + rx) reads phase (ry, rx) shifted by (a, b). Every phase plane
/// is PH×PW, so the output, computed on a Hout×PW grid, is for each shift one GEMM whose B matrix is a
/// plain strided view of the phases: rows = (phase, channel) pairs, row stride PH·PW, starting a·PW + b in.
/// The grid's last PW − Wout columns are junk and dropped when the output is written.
///
/// Why: im2col of the Ladon encoder's second 5x5/2 convolution (96 → 48 channels, 160x208 map) writes a
/// 2400 x 8320 column matrix (80 MB) that the GEMM then reads back; the phases are the input's own size
/// (12.8 MB). The GEMMs are the same products in another order. Measured at one thread: that convolution
/// 30 ms instead of 40-47 ms, and the ResNet trunk's 3x3/2 ones (128 to 512 channels) as fast or faster.
///
/// Each GEMM takes the phases of one shift that are contiguous in storage ([ry][rx][channel]): all live
/// phases when every rx is live, else one run of rx per ry. A 5x5/2 kernel makes 11 GEMMs of depth
/// 96 to 384 channels; in all they cover each tap once.
struct PolyphaseFilter: Sendable {
    /// One GEMM: the weight columns it uses and the phases it reads at shift (a, b).
    struct Product: Sendable {
        let shift: (Int, Int)
        let firstPhase: Int
        let phaseCount: Int
        let weightColumn: Int
    }

    let stride: (Int, Int)
    let inChannels: Int
    let outChannels: Int
    /// Shifts per axis: ⌈k / s⌉.
    let shifts: (Int, Int)
    let products: [Product]
    /// [Cout, kh·kw·Cin]: each product's columns, (phase in its run, channel), side by side.
    let packed: Tensor

    /// Undilated, ungrouped, strided convolutions; at stride 1 there would be one phase, the padded input.
    static func supports(_ geometry: ConvGeometry) -> Bool {
        geometry.dilation == (1, 1) && geometry.groups == 1 && geometry.stride != (1, 1)
    }

    init(_ weight: Tensor, stride: (Int, Int)) {
        let (cout, cin, kh, kw) = (weight.dim(0), weight.dim(1), weight.dim(2), weight.dim(3))
        let (sh, sw) = stride
        self.stride = stride
        inChannels = cin
        outChannels = cout
        shifts = ((kh + sh - 1) / sh, (kw + sw - 1) / sw)
        var products: [Product] = []
        var column = 0
        for a in 0..<shifts.0 {
            let rows = min(sh, kh - a * sh)
            for b in 0..<shifts.1 {
                let columns = min(sw, kw - b * sw)
                // Phases with every rx are contiguous across ry; a partial rx range is contiguous within one ry.
                let runs = columns == sw ? [(0, rows * sw)] : (0..<rows).map { ($0 * sw, columns) }
                for (first, count) in runs {
                    products.append(Product(shift: (a, b), firstPhase: first, phaseCount: count, weightColumn: column))
                    column += count * cin
                }
            }
        }
        precondition(column == kh * kw * cin, "polyphase products cover \(column) of \(kh * kw * cin) weight columns")
        self.products = products
        var packed = Tensor(uninitializedShape: [cout, column])
        weight.withUnsafeBufferPointer { w in
            packed.withUnsafeMutableBufferPointer { target in
                for product in products {
                    for q in 0..<product.phaseCount {
                        let phase = product.firstPhase + q
                        let i = product.shift.0 * sh + phase / sw
                        let j = product.shift.1 * sw + phase % sw
                        for o in 0..<cout {
                            for c in 0..<cin {
                                target[o * column + product.weightColumn + q * cin + c] = w[((o * cin + c) * kh + i) * kw + j]
                            }
                        }
                    }
                }
            }
        }
        self.packed = packed
    }
}

/// One image through a `PolyphaseFilter`. Layout: input [Cin, H, W] → output [Cout, Hout, Wout], with the
/// bias, a residual and ReLU applied as the grid is cropped into the output.
struct PolyphasePlan {
    let filter: PolyphaseFilter
    let height: Int, width: Int
    let outHeight: Int, outWidth: Int
    let padding: (Int, Int)
    let activation: Activation

    /// Below this many input channels the shallowest GEMMs (one phase, Cin deep) are too thin: the encoder's
    /// first 5x5/2 convolution (3 channels) takes about 1.6 times as long as by im2col.
    static let minimumInChannels = 16

    /// Phase plane size: ⌈padded size / stride⌉ per axis.
    var phaseHeight: Int { (height + 2 * padding.0 + filter.stride.0 - 1) / filter.stride.0 }
    var phaseWidth: Int { (width + 2 * padding.1 + filter.stride.1 - 1) / filter.stride.1 }
    var phaseCount: Int { filter.stride.0 * filter.stride.1 }
    /// Junk grid columns read up to (shifts − 1) rows and columns past the last plane's end.
    var slack: Int { filter.shifts.0 * phaseWidth + filter.shifts.1 }

    func run(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?,
        bias: [Float]?
    ) {
        run(output: output, residual: residual, bias: bias) { phases in
            split(rows: 0..<height, of: input, channelStride: height * width, into: phases)
        }
    }

    /// `fill` writes the phase rows that hold input rows (by `split`, all of them); the rows and columns of
    /// zero padding and the slack are written here.
    func run(
        output: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, bias: [Float]?,
        filling fill: (UnsafeMutablePointer<Float>) -> Void
    ) {
        let plane = phaseHeight * phaseWidth
        let gridCount = outHeight * phaseWidth
        var phases = Tensor(uninitializedShape: [phaseCount * filter.inChannels * plane + slack])
        var grid = Tensor(uninitializedShape: [filter.outChannels, gridCount])
        phases.withUnsafeMutableBufferPointer { p in
            zeroPaddingRows(of: p.baseAddress!)
            fill(p.baseAddress!)
        }
        phases.withUnsafeBufferPointer { p in
            filter.packed.withUnsafeBufferPointer { w in
                grid.withUnsafeMutableBufferPointer { c in
                    let depth = filter.packed.dim(1)
                    for (index, product) in filter.products.enumerated() {
                        let offset =
                            product.firstPhase * filter.inChannels * plane
                            + product.shift.0 * phaseWidth + product.shift.1
                        Gemm.multiply(
                            m: filter.outChannels, n: gridCount, k: product.phaseCount * filter.inChannels,
                            a: w.baseAddress! + product.weightColumn, lda: depth,
                            b: p.baseAddress! + offset, ldb: plane,
                            c: c.baseAddress!, ldc: gridCount, beta: index == 0 ? 0 : 1)
                    }
                }
            }
        }
        grid.withUnsafeBufferPointer { crop($0.baseAddress!, into: output, residual: residual, bias: bias) }
    }

    /// Writes input rows `rows` into the phases [sh·sw, Cin, PH, PW], with the zero padding left and right;
    /// input row iy of channel c is at `source + c·channelStride + (iy − rows.lowerBound)·W`.
    func split(
        rows: Range<Int>, of source: UnsafePointer<Float>, channelStride: Int,
        into phases: UnsafeMutablePointer<Float>
    ) {
        let (sh, sw) = filter.stride
        let (ph, pw) = padding
        let (width, phaseHeight, phaseWidth) = (width, phaseHeight, phaseWidth)
        let channels = filter.inChannels
        let plane = phaseHeight * phaseWidth
        Compute.parallelFor(channels, minimumPerThread: 4) { range in
            for c in range {
                let channel = source + c * channelStride - rows.lowerBound * width
                for phase in 0..<sh * sw {
                    let (ry, rx) = (phase / sw, phase % sw)
                    let target = phases + (phase * channels + c) * plane
                    // Phase column x holds input column x·sw + rx − pw; those inside [0, width) are first ..< last.
                    let first = max(0, (pw - rx + sw - 1) / sw)
                    let span = width - 1 + pw - rx
                    let last = span < 0 ? first : max(first, min(phaseWidth, span / sw + 1))
                    // Phase row y holds input row y·sh + ry − ph.
                    var y = max(0, (rows.lowerBound + ph - ry + sh - 1) / sh)
                    while y < phaseHeight, y * sh + ry - ph < rows.upperBound {
                        let row = target + y * phaseWidth
                        let from = channel + (y * sh + ry - ph) * width + rx - pw
                        y += 1
                        row.update(repeating: 0, count: first)
                        var x = first
                        if sw == 2 {
                            // Eight loaded, the even four kept, while the load stays inside the input row.
                            let inRow = width - (rx - pw)
                            while x + 4 <= last, 2 * x + 8 <= inRow {
                                let pair = UnsafeRawPointer(from + 2 * x).loadUnaligned(as: SIMD8<Float>.self)
                                UnsafeMutableRawPointer(row + x).storeBytes(of: pair.evenHalf, as: SIMD4<Float>.self)
                                x += 4
                            }
                        }
                        while x < last {
                            row[x] = from[x * sw]
                            x += 1
                        }
                        (row + last).update(repeating: 0, count: phaseWidth - last)
                    }
                }
            }
        }
    }

    /// Zeroes the phase rows that hold padding rows, and the slack.
    private func zeroPaddingRows(of phases: UnsafeMutablePointer<Float>) {
        let (sh, ph, height, phaseWidth) = (filter.stride.0, padding.0, height, phaseWidth)
        let planes = phaseCount * filter.inChannels
        let plane = phaseHeight * phaseWidth
        for index in 0..<planes {
            let ry = index / filter.inChannels / filter.stride.1
            for y in 0..<phaseHeight {
                let iy = y * sh + ry - ph
                if iy < 0 || iy >= height { (phases + index * plane + y * phaseWidth).update(repeating: 0, count: phaseWidth) }
            }
        }
        (phases + planes * plane).update(repeating: 0, count: slack)
    }

    /// output[o, y, x] = grid[o, y·PW + x] + bias[o] (+ residual), then the activation.
    private func crop(
        _ grid: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
        residual: UnsafePointer<Float>?, bias: [Float]?
    ) {
        let (outHeight, outWidth, phaseWidth) = (outHeight, outWidth, phaseWidth)
        let relu = activation == .relu
        Compute.parallelFor(filter.outChannels, minimumPerThread: 4) { range in
            for o in range {
                let shift = bias?[o] ?? 0
                for y in 0..<outHeight {
                    let from = grid + (o * outHeight + y) * phaseWidth
                    let index = (o * outHeight + y) * outWidth
                    for x in 0..<outWidth {
                        var value = from[x] + shift
                        if let residual { value += residual[index + x] }
                        // Written as a comparison so that NaN stays NaN, as in torch.relu.
                        output[index + x] = relu && value < 0 ? 0 : value
                    }
                }
            }
        }
    }
}
