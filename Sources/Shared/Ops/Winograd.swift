/// Winograd's minimal filtering (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016)
/// for stride-1, undilated, ungrouped convolutions, in three variants:
/// - F(2×2, 3×3) for 3x3 kernels: a 4x4 transformed tile, 16 multiplies per channel pair and 2x2 output tile
///   instead of 36;
/// - F(4×4, 3×3) for 3x3 kernels of up to `WinogradVariant.widestPairsForWideTiles` channel pairs: a 6x6 tile,
///   36 multiplies per 4x4 output tile instead of 144 (F(2×2, 3×3) needs 64);
/// - F(5×5, 2×2) for the decoder's 2x2 kernels: a 6x6 tile, 36 multiplies per 5x5 output tile instead of 100
///   (F(3×3, 2×2) needs 44);
/// - F(3×3, 2×2) for 2x2 kernels where asked for: 16 instead of 36 per 3x3 tile.
/// The products become one GEMM per point of the transformed tile, M_t[Cout, tiles] = U_t[Cout, Cin] · V_t[Cin, tiles].
///
/// The 4x4 variants interpolate at 0, 1, −1 and ∞, so their transforms only add, subtract and halve and
/// results stay within a few float roundings of the direct convolution. The 6x6 variants add ±2, which scale by
/// up to 8 (F(4×4, 3×3)) or 16 (F(5×5, 2×2)) and round more:
/// - F(4×4, 3×3) on 256 input channels of unit-variance data stays within ~4e-6 of the exact sum, against ~7e-7 for
///   F(2×2, 3×3) and ~5e-7 direct;
/// - F(5×5, 2×2) on the decoder's 512→256 shape (weights within ±0.05, inputs within ±1, outputs of spread ~0.75)
///   stays within 6.5e-5 of im2col, F(3×3, 2×2) within 2.9e-6; over tools/parity.py's official frames the class
///   logits then stay within 6.9e-6-1.1e-5 of PyTorch's, against 4.2-6.8e-6 with F(3×3, 2×2).
public enum WinogradVariant: Sendable {
    /// F(2×2, 3×3).
    case output2Kernel3
    /// F(4×4, 3×3).
    case output4Kernel3
    /// F(3×3, 2×2).
    case output3Kernel2
    /// F(5×5, 2×2).
    case output5Kernel2

    /// The variant a kernel of this size gets by default: F(4×4, 3×3) for 3x3 kernels of at most
    /// `widestPairsForWideTiles` channel pairs, F(2×2, 3×3) for wider ones, F(5×5, 2×2) for 2x2 kernels.
    init?(kernel: (Int, Int), channelPairs: Int) {
        switch kernel {
        case (3, 3): self = channelPairs <= Self.widestPairsForWideTiles ? .output4Kernel3 : .output2Kernel3
        case (2, 2): self = .output5Kernel2
        default: return nil
        }
    }

    /// The widest 3x3 layer (Cin · Cout) that gets F(4×4, 3×3). In ResNet-like trunks the wider layers run on
    /// the smallest maps (layer4's 512-plane convolutions on 13x10 at the official size), where 4x4 tiles waste
    /// a third of their outputs on padding and their GEMMs get too thin, and their 36-point filters would add
    /// 63 MB of resident memory at the official size. Measured at one thread on the official frame (Zen 4,
    /// interleaved runs): F(4×4, 3×3) against F(2×2, 3×3) takes the FPN from 114-121 to 70-85 ms and layer2..4,
    /// whose layer3 runs on 26x20 maps (7x5 tiles of 4x4), from 183-194 to 155-181 ms.
    static let widestPairsForWideTiles = 256 * 256

    /// The fewest channel pairs (Cin · Cout) for which `automatic` takes the variant over im2col. Below them the
    /// GEMMs are too shallow or too short for the transforms to pay. Measured at one thread (Zen 4), Winograd
    /// against im2col:
    /// - 3x3: 64x64 channels on 80x104, 4.3-5.0 against 6.9-7.2 ms; 32→64 a tie (3.3-3.7 against 3.4-3.6);
    ///   48x48 on 15x20 (the default model's layer3) 0.23 against 0.19.
    /// - 2x2, with F(3×3, 2×2) (F(5×5, 2×2) is faster and keeps the same bound): 96→512 on 79x103, 28.9-30.5
    ///   against 30.6-32.2 ms; 80→512, 27.9 against 26.2; 24→512 (the official decoder's first convolution),
    ///   13.6-13.8 against 7.9-8.9; 48→24 (the encoder's last), 1.3-2.2 against 1.0.
    var fewestChannelPairs: Int { kernel == 2 ? 96 * 512 : 64 * 64 }

    var kernel: Int {
        switch self {
        case .output2Kernel3, .output4Kernel3: 3
        case .output3Kernel2, .output5Kernel2: 2
        }
    }
    /// Output pixels per tile side.
    var outputTile: Int {
        switch self {
        case .output2Kernel3: 2
        case .output4Kernel3: 4
        case .output3Kernel2: 3
        case .output5Kernel2: 5
        }
    }
    /// Input pixels per tile side: the transformed tile is side x side.
    var side: Int { outputTile + kernel - 1 }
    /// Points of the transformed tile: one GEMM each.
    var points: Int { side * side }

    /// G (side x kernel): the filter transform.
    var filterTransform: [[Double]] {
        switch self {
        case .output2Kernel3: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        case .output4Kernel3:
            [
                [1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1],
            ]
        case .output3Kernel2: [[1, 0], [0.5, 0.5], [0.5, -0.5], [0, 1]]
        case .output5Kernel2:
            [[1.0 / 4, 0], [-1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6], [1.0 / 24, 1.0 / 12], [1.0 / 24, -1.0 / 12], [0, 1]]
        }
    }
}

struct WinogradFilter: Sendable {
    let variant: WinogradVariant
    /// U = G·g·Gᵀ per (Cout, Cin) pair, stored [points, Cout, Cin] so that each point is one GEMM's A.
    let transformed: Tensor

    /// The variant a convolution with this weight and geometry gets by default, or nil where Winograd does not
    /// apply (not 3x3 or 2x2, strided, dilated, grouped, or padded by a kernel's width or more).
    static func defaultVariant(_ weight: Tensor, _ geometry: ConvGeometry) -> WinogradVariant? {
        guard
            let variant = WinogradVariant(kernel: (weight.dim(2), weight.dim(3)), channelPairs: weight.dim(0) * weight.dim(1)),
            geometry.stride == (1, 1) && geometry.dilation == (1, 1) && geometry.groups == 1,
            geometry.padding.0 < variant.kernel && geometry.padding.1 < variant.kernel
        else { return nil }
        return variant
    }

    /// `variant` must fit the kernel (F(2×2, 3×3) or F(4×4, 3×3) for 3x3, F(3×3, 2×2) or F(5×5, 2×2) for 2x2).
    init(_ weight: Tensor, variant: WinogradVariant) {
        let (cout, cin, r) = (weight.dim(0), weight.dim(1), weight.dim(2))
        precondition(
            r == variant.kernel && weight.dim(3) == variant.kernel, "\(variant) does not fit a \(r)x\(weight.dim(3)) kernel")
        self.variant = variant
        let side = variant.side
        // G flattened row-major (side x r); the products below read it directly, so the transform of the millions
        // of channel pairs of a trunk allocates nothing per pair (nested arrays here cost seconds at load).
        let g = variant.filterTransform.flatMap { $0 }
        var transformed = Tensor(uninitializedShape: [variant.points, cout, cin])
        weight.withUnsafeBufferPointer { w in
            transformed.withUnsafeMutableBufferPointer { u in
                withUnsafeTemporaryAllocation(of: Double.self, capacity: side * r) { left in
                    for pair in 0..<cout * cin {
                        let base = pair * r * r
                        // G·w (side x r), then (G·w)·Gᵀ (side x side), in Double so U is the exactly rounded product.
                        for i in 0..<side {
                            for k in 0..<r {
                                var value = 0.0
                                for t in 0..<r { value += g[i * r + t] * Double(w[base + t * r + k]) }
                                left[i * r + k] = value
                            }
                        }
                        for i in 0..<side {
                            for j in 0..<side {
                                var value = 0.0
                                for k in 0..<r { value += left[i * r + k] * g[j * r + k] }
                                u[(i * side + j) * cout * cin + pair] = Float(value)
                            }
                        }
                    }
                }
            }
        }
        self.transformed = transformed
    }
}

/// One image through a Winograd variant. Layout: input [Cin, H, W] → output [Cout, Hout, Wout], with the
/// bias, a residual and ReLU applied as the tiles are written back.
struct WinogradPlan {
    let variant: WinogradVariant
    let inChannels: Int, outChannels: Int
    let height: Int, width: Int
    let outHeight: Int, outWidth: Int
    let padding: (Int, Int)
    let activation: Activation

    var tileRows: Int { (outHeight + variant.outputTile - 1) / variant.outputTile }
    var tileColumns: Int { (outWidth + variant.outputTile - 1) / variant.outputTile }
    var tiles: Int { tileRows * tileColumns }

    /// Below this many tiles the 16 GEMMs are too thin to beat im2col (measured on the official trunk: at 16
    /// layer4's 11x14 maps (42 tiles) join and layer2-4 take about 14% less time than at 64).
    static let minimumTiles = 16

    /// The direct convolution's multiply-accumulates for one image: Cout · Cin · k² per output pixel.
    var directMultiplyAccumulates: Int {
        outChannels * inChannels * variant.kernel * variant.kernel * outHeight * outWidth
    }

    /// The GEMMs' multiply-accumulates for one image: Cout · Cin per tile and transformed point.
    var gemmMultiplyAccumulates: Int { variant.points * outChannels * inChannels * tiles }

    /// Whether `automatic` takes this plan over im2col: enough tiles, and GEMMs deep and tall enough that the
    /// transforms' passes over the map pay for the multiplies they save (`WinogradVariant.fewestChannelPairs`).
    var beatsIm2col: Bool { tiles >= Self.minimumTiles && inChannels * outChannels >= variant.fewestChannelPairs }

    func run(
        input: UnsafePointer<Float>, filter: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        residual: UnsafePointer<Float>?, bias: [Float]?
    ) {
        var inputTiles = Tensor(uninitializedShape: [variant.points, inChannels, tiles])
        var products = Tensor(uninitializedShape: [variant.points, outChannels, tiles])
        let (tiles, tileRows, tileColumns) = (tiles, tileRows, tileColumns)
        inputTiles.withUnsafeMutableBufferPointer { vs in
            products.withUnsafeMutableBufferPointer { ms in
                let (v, m) = (vs.baseAddress!, ms.baseAddress!)
                /// The products M_t = U_t · V_t restricted to output channels `channels` and tiles `columns`.
                func multiply(channels: Range<Int>, columns: Range<Int>) {
                    for point in 0..<variant.points {
                        Gemm.multiply(
                            m: channels.count, n: columns.count, k: inChannels,
                            a: filter + (point * outChannels + channels.lowerBound) * inChannels, lda: inChannels,
                            b: v + point * inChannels * tiles + columns.lowerBound, ldb: tiles,
                            c: m + (point * outChannels + channels.lowerBound) * tiles + columns.lowerBound, ldc: tiles,
                            beta: 0)
                    }
                }
                // The threads share the work the way each GEMM would split it (the longer side), and carry that
                // share through the transforms on either side: with more tiles than channels each takes whole
                // rows of tiles from input to output; otherwise the input transform is shared by channels, then
                // each takes its output channels through the products and the output transform. Splitting every
                // step (and each GEMM) on its own, most hand-offs crossed cores and 18 waits per layer became 1-2.
                if !Gemm.splitsRows(m: outChannels, n: tiles) {
                    Compute.parallelFor(tileRows) { rows in
                        transformInput(input, into: v, channels: 0..<inChannels, tileRows: rows)
                        multiply(channels: 0..<outChannels, columns: rows.lowerBound * tileColumns..<rows.upperBound * tileColumns)
                        transformOutput(m, into: output, residual: residual, bias: bias, channels: 0..<outChannels, tileRows: rows)
                    }
                } else {
                    Compute.parallelFor(inChannels) { channels in
                        transformInput(input, into: v, channels: channels, tileRows: 0..<tileRows)
                    }
                    Compute.parallelFor(outChannels) { channels in
                        multiply(channels: channels, columns: 0..<tiles)
                        transformOutput(m, into: output, residual: residual, bias: bias, channels: channels, tileRows: 0..<tileRows)
                    }
                }
            }
        }
    }

    /// V = Bᵀ·d·B for every 4x4 input patch d (zero outside the image), stored [16, Cin, tiles].
    /// Bᵀ's rows are (d0 − d2, d1 + d2, d2 − d1, ±(d1 − d3)): the last is d1 − d3 for F(2×2, 3×3) and
    /// d3 − d1 for F(3×3, 2×2). Runs of eight tiles inside the image are transformed as SIMD8 lanes, one tile
    /// per lane, with the same operations in the same order as the single tiles at the borders.
    // Inlined into both of `run`'s paths, as it was into its one call before they were two: called, its SIMD8
    // helpers stopped being inlined and the transforms took about 10 % longer.
    @inline(__always)
    private func transformInput(
        _ input: UnsafePointer<Float>, into v: UnsafeMutablePointer<Float>, channels: Range<Int>, tileRows rows: Range<Int>
    ) {
        if variant.side == 6 {
            transformWideInput(input, into: v, channels: channels, tileRows: rows)
            return
        }
        let (tiles, tileColumns, height, width) = (tiles, tileColumns, height, width)
        let plane = inChannels * tiles
        let (padding, step) = (padding, variant.outputTile)
        let lastSign: Float = variant == .output2Kernel3 ? 1 : -1
        for c in channels {
            let source = input + c * height * width
            let target = v + c * tiles
            for tileRow in rows {
                let top = step * tileRow - padding.0
                var column = 0
                while column < tileColumns {
                    let tile = tileRow * tileColumns + column
                    let left = step * column - padding.1
                    // One tile's width of slack on the right: F(2×2, 3×3) reads each patch row as 16 floats.
                    if column + 8 <= tileColumns, top >= 0, top + 4 <= height, left >= 0,
                        left + step * 8 + 4 <= width
                    {
                        Self.transformEightInputTiles(
                            source + top * width + left, width: width, step: step, lastSign: lastSign,
                            into: target + tile, plane: plane)
                        column += 8
                    } else {
                        Self.transformInputTile(
                            source, top: top, left: left, height: height, width: width, lastSign: lastSign,
                            into: target + tile, plane: plane)
                        column += 1
                    }
                }
            }
        }
    }

    /// Row r of Bᵀ applied to four values: d0 − d2, d1 + d2, d2 − d1, sign·(d1 − d3) (`lastSign`: +1 for
    /// F(2×2, 3×3), −1 for F(3×3, 2×2)). Both tile paths apply it down the patch's columns, then along its rows.
    @inline(__always)
    private static func inputTransform<V: SIMD>(_ r: Int, _ d0: V, _ d1: V, _ d2: V, _ d3: V, lastSign: Float) -> V
    where V.Scalar == Float {
        switch r {
        case 0: d0 - d2
        case 1: d1 + d2
        case 2: d2 - d1
        default: lastSign * (d1 - d3)
        }
    }

    /// Row r of Bᵀ applied to the four values of `d`.
    @inline(__always)
    private static func inputTransform(_ r: Int, _ d: SIMD4<Float>, lastSign: Float) -> Float {
        switch r {
        case 0: d.x - d.z
        case 1: d.y + d.z
        case 2: d.z - d.y
        default: lastSign * (d.y - d.w)
        }
    }

    /// One tile's patch at (top, left), zero where it leaves the image.
    @inline(__always)
    private static func transformInputTile(
        _ source: UnsafePointer<Float>, top: Int, left: Int, height: Int, width: Int, lastSign: Float,
        into base: UnsafeMutablePointer<Float>, plane: Int
    ) {
        let inside = top >= 0 && top + 4 <= height && left >= 0 && left + 4 <= width
        func row(_ i: Int) -> SIMD4<Float> {
            let y = top + i
            if inside { return UnsafeRawPointer(source + y * width + left).loadUnaligned(as: SIMD4<Float>.self) }
            guard y >= 0 && y < height else { return .zero }
            var r = SIMD4<Float>.zero
            for j in 0..<4 where left + j >= 0 && left + j < width { r[j] = source[y * width + left + j] }
            return r
        }
        let (d0, d1, d2, d3) = (row(0), row(1), row(2), row(3))
        for i in 0..<4 {
            // Down the columns, the four at once as SIMD4 rows, then along the row.
            let e = inputTransform(i, d0, d1, d2, d3, lastSign: lastSign)
            for j in 0..<4 { base[(i * 4 + j) * plane] = inputTransform(j, e, lastSign: lastSign) }
        }
    }

    /// Eight adjacent tiles whose patches lie inside the image, `corner` pointing at the first patch's top left.
    @inline(__always)
    private static func transformEightInputTiles(
        _ corner: UnsafePointer<Float>, width: Int, step: Int, lastSign: Float,
        into base: UnsafeMutablePointer<Float>, plane: Int
    ) {
        /// Column j of image row i of the eight patches, one patch per lane.
        @inline(__always) func column(_ i: Int, _ j: Int) -> SIMD8<Float> {
            let start = corner + i * width + j
            if step == 2 { return UnsafeRawPointer(start).loadUnaligned(as: SIMD16<Float>.self).evenHalf }
            var lanes = SIMD8<Float>()
            for lane in 0..<8 { lanes[lane] = start[lane * step] }
            return lanes
        }
        for i in 0..<4 {
            // Down each column, then along the row, as the single tile does, one tile per lane.
            @inline(__always) func down(_ j: Int) -> SIMD8<Float> {
                inputTransform(i, column(0, j), column(1, j), column(2, j), column(3, j), lastSign: lastSign)
            }
            let (e0, e1, e2, e3) = (down(0), down(1), down(2), down(3))
            for j in 0..<4 {
                UnsafeMutableRawPointer(base + (i * 4 + j) * plane).storeBytes(
                    of: inputTransform(j, e0, e1, e2, e3, lastSign: lastSign), as: SIMD8<Float>.self)
            }
        }
    }

    /// Y = Aᵀ·m·A for every tile's 4x4 products, plus bias and residual, then the activation.
    /// Aᵀ's rows: (m0 + m1 + m2, m1 − m2 − m3) for F(2×2, 3×3); (m0 + m1 + m2, m1 − m2, m1 + m2 + m3)
    /// for F(3×3, 2×2). Runs of eight tiles inside the output are computed as SIMD8 lanes, one tile per lane,
    /// with the same operations in the same order as the single tiles at the borders.
    @inline(__always)
    private func transformOutput(
        _ m: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
        residual: UnsafePointer<Float>?, bias: [Float]?, channels: Range<Int>, tileRows rows: Range<Int>
    ) {
        if variant.side == 6 {
            transformWideOutput(m, into: output, residual: residual, bias: bias, channels: channels, tileRows: rows)
            return
        }
        let (tiles, tileColumns, outHeight, outWidth) = (tiles, tileColumns, outHeight, outWidth)
        let plane = outChannels * tiles
        let epilogue = WinogradEpilogue(relu: activation == .relu, variant: variant)
        let step = variant.outputTile
        for o in channels {
            let shift = bias?[o] ?? 0
            let target = output + o * outHeight * outWidth
            let extra = residual.map { $0 + o * outHeight * outWidth }
            let source = m + o * tiles
            for tileRow in rows {
                let top = step * tileRow
                var column = 0
                while column < tileColumns {
                    let tile = tileRow * tileColumns + column
                    let left = step * column
                    if column + 8 <= tileColumns, top + step <= outHeight, left + 8 * step <= outWidth {
                        epilogue.writeEightTiles(
                            source + tile, plane: plane, shift: shift,
                            into: target + top * outWidth + left, residual: extra.map { $0 + top * outWidth + left },
                            outWidth: outWidth)
                        column += 8
                    } else {
                        epilogue.writeTile(
                            source + tile, plane: plane, shift: shift, top: top, left: left,
                            into: target, residual: extra, outHeight: outHeight, outWidth: outWidth)
                        column += 1
                    }
                }
            }
        }
    }
}

/// The output transform of one variant with the bias, residual and ReLU, for one tile or eight at once.
private struct WinogradEpilogue {
    let relu: Bool
    let variant: WinogradVariant

    /// Row r of Aᵀ applied to four values (r below the variant's output tile side).
    @inline(__always)
    private func transform<V: SIMD>(_ r: Int, _ t0: V, _ t1: V, _ t2: V, _ t3: V) -> V where V.Scalar == Float {
        switch (variant, r) {
        case (_, 0): t0 + t1 + t2
        case (.output2Kernel3, _): t1 - t2 - t3
        case (.output3Kernel2, 1): t1 - t2
        default: t1 + t2 + t3
        }
    }

    @inline(__always)
    private func transform(_ r: Int, _ t: SIMD4<Float>) -> Float {
        switch (variant, r) {
        case (_, 0): t.x + t.y + t.z
        case (.output2Kernel3, _): t.y - t.z - t.w
        case (.output3Kernel2, 1): t.y - t.z
        default: t.y + t.z + t.w
        }
    }

    /// The tile at (top, left), clipped to the output.
    @inline(__always)
    func writeTile(
        _ source: UnsafePointer<Float>, plane: Int, shift: Float, top: Int, left: Int,
        into target: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, outHeight: Int, outWidth: Int
    ) {
        func row(_ i: Int) -> SIMD4<Float> {
            let base = source + (i * 4) * plane
            return SIMD4(base[0], base[plane], base[2 * plane], base[3 * plane])
        }
        let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3))
        let step = variant.outputTile
        for i in 0..<step where top + i < outHeight {
            let t = transform(i, r0, r1, r2, r3)
            for j in 0..<step where left + j < outWidth {
                let index = (top + i) * outWidth + left + j
                var value = transform(j, t) + shift
                if let residual { value += residual[index] }
                target[index] = relu ? max(value, 0) : value
            }
        }
    }

    /// Eight adjacent tiles inside the output, `corner` and `residual` at the first tile's top left.
    @inline(__always)
    func writeEightTiles(
        _ source: UnsafePointer<Float>, plane: Int, shift: Float,
        into corner: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, outWidth: Int
    ) {
        /// Point (i, j) of the eight tiles' products, one tile per lane.
        @inline(__always) func point(_ i: Int, _ j: Int) -> SIMD8<Float> {
            UnsafeRawPointer(source + (i * 4 + j) * plane).loadUnaligned(as: SIMD8<Float>.self)
        }
        /// Aᵀ's row i down column j.
        @inline(__always) func vertical(_ i: Int, _ j: Int) -> SIMD8<Float> {
            transform(i, point(0, j), point(1, j), point(2, j), point(3, j))
        }
        let step = variant.outputTile
        for i in 0..<step {
            let (t0, t1, t2, t3) = (vertical(i, 0), vertical(i, 1), vertical(i, 2), vertical(i, 3))
            let row = corner + i * outWidth
            for j in 0..<step {
                var value = transform(j, t0, t1, t2, t3) + shift
                if let residual {
                    let extra = residual + i * outWidth + j
                    var added = SIMD8<Float>()
                    for lane in 0..<8 { added[lane] = extra[lane * step] }
                    value += added
                }
                // As max(value, 0) does: negatives and −0 become +0, NaN stays.
                if relu { value.replace(with: 0, where: .zero .>= value) }
                for lane in 0..<8 { row[lane * step + j] = value[lane] }
            }
        }
    }
}
