/// The transforms of the 6x6-tile variants, F(4×4, 3×3) (`WinogradVariant.output4Kernel3`) and F(5×5, 2×2)
/// (`output5Kernel2`), both interpolating at 0, ±1, ±2 and ∞, so they share Bᵀ:
///
///     Bᵀ = [4  0 −5  0  1  0]     Aᵀ = [1  1  1  1  1  0]     (F(5×5, 2×2): rows 0-2 and
///          [0 −4 −4  1  1  0]          [0  1 −1  2 −2  0]      [0  1 −1  8 −8  0]
///          [0  4 −4 −1  1  0]          [0  1  1  4  4  0]      [0  1  1 16 16  1])
///          [0 −2 −1  2  1  0]          [0  1 −1  8 −8  1]
///          [0  2 −1 −2  1  0]
///          [0  4  0 −5  0  1]
///
/// Their patches overlap by the kernel's width less one, so they start 4 (F(4×4, 3×3)) or 5 pixels apart.
/// Eight tiles along a tile row at a time, one per SIMD8 lane, read from a zero-bordered copy of the tile row's
/// image rows, so every tile, at the borders too, goes through the same operations in the same order. Both
/// transforms stage a few tile rows of one channel's 36 points in L2 and move them between there and the
/// [36, C, tiles] matrices a point at a time. Measured alone at one thread (Zen 4, fastest of 15 runs), before
/// and after: on the RPN's 256-channel 80x104 map input 6.4 -> 3.5 ms and output 5.4 -> 4.8 (its GEMMs 22.4);
/// on 256 channels at 40x52 0.93 -> 0.51 and 0.99 -> 0.72; the decoder's 512->256 2x2 input 11.6 -> 6.0.
extension WinogradPlan {
    /// Floats one row of eight adjacent patches spans: eight patch starts `step` apart, plus the last patch's
    /// width. F(4×4, 3×3) reads 36 (its column split loads 16 floats from offset 20).
    var widePatchRowSpan: Int { variant.outputTile == 4 ? 36 : 7 * variant.outputTile + 6 }

    /// Tiles the transforms stage per pass: 36 points of them, about 74 KB, stay in L2.
    static let stagedTiles = 512

    /// Tile rows staged per pass, at least one.
    var stagedTileRows: Int { max(1, Self.stagedTiles / tileColumns) }

    /// V = Bᵀ·d·B for every 6x6 input patch d of `channels` and `tileRows`, stored [36, Cin, tiles].
    ///
    /// Each tile row's six image rows are first copied into a zero-bordered band as wide as its groups of eight
    /// tiles span, so every group, at the borders too, reads its patches the same way and without bounds checks:
    /// with the borders handled per group, a tile row of 26 tiles sent half its groups through a slow padded copy.
    /// The transformed tiles of a few tile rows are staged [36, staged tiles + 8] and copied to V a point at a
    /// time: stored straight into V, each group wrote 36 streams at once, too many for the hardware prefetchers,
    /// and the stores waited on memory (4-5 GB/s on the RPN's 256-channel 80x104 map).
    func transformWideInput(
        _ input: UnsafePointer<Float>, into v: UnsafeMutablePointer<Float>, channels: Range<Int>, tileRows rows: Range<Int>
    ) {
        let (tiles, tileColumns, height, width) = (tiles, tileColumns, height, width)
        let plane = inChannels * tiles
        let (step, span) = (variant.outputTile, widePatchRowSpan)
        let bandWidth = step * 8 * ((tileColumns - 1) / 8) + span
        let chunkRows = min(stagedTileRows, rows.count)
        // The last group of a tile row stores all eight lanes; those past the row land on the next row's first
        // tiles before that row writes them, or in the eight floats of slack.
        let stride = chunkRows * tileColumns + 8
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 36) { alongRows in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 6 * bandWidth + 36 * stride) { scratch in
                let (along, band) = (alongRows.baseAddress!, scratch.baseAddress!)
                let staged = band + 6 * bandWidth
                for c in channels {
                    let source = input + c * height * width
                    for chunkStart in Swift.stride(from: rows.lowerBound, to: rows.upperBound, by: chunkRows) {
                        let chunk = chunkStart..<min(rows.upperBound, chunkStart + chunkRows)
                        for tileRow in chunk {
                            fillBand(band, width: bandWidth, from: source, top: step * tileRow - padding.0)
                            for column in Swift.stride(from: 0, to: tileColumns, by: 8) {
                                Self.transformInputGroup(
                                    UnsafePointer(band + step * column), bandWidth: bandWidth, step: step, along: along,
                                    into: staged + (tileRow - chunk.lowerBound) * tileColumns + column, stride: stride)
                            }
                        }
                        for point in 0..<36 {
                            (v + point * plane + c * tiles + chunk.lowerBound * tileColumns).update(
                                from: staged + point * stride, count: chunk.count * tileColumns)
                        }
                    }
                }
            }
        }
    }

    /// Bᵀ·d·B for eight adjacent patches whose six rows start `bandWidth` apart from `corner`: their 36 points,
    /// eight tiles each, `stride` apart into `staged`; `along` holds the rows' transforms.
    @inline(__always)
    private static func transformInputGroup(
        _ corner: UnsafePointer<Float>, bandWidth: Int, step: Int, along: UnsafeMutablePointer<SIMD8<Float>>,
        into staged: UnsafeMutablePointer<Float>, stride: Int
    ) {
        for r in 0..<6 {
            let row = corner + r * bandWidth
            let f = inputRowTransform(step == 4 ? deinterleavedPatchRow(row) : gatheredPatchRow(row, step: step))
            (along[r * 6], along[r * 6 + 1], along[r * 6 + 2]) = (f.0, f.1, f.2)
            (along[r * 6 + 3], along[r * 6 + 4], along[r * 6 + 5]) = (f.3, f.4, f.5)
        }
        for m in 0..<6 {
            let e = inputRowTransform((along[m], along[6 + m], along[12 + m], along[18 + m], along[24 + m], along[30 + m]))
            @inline(__always) func store(_ i: Int, _ value: SIMD8<Float>) {
                UnsafeMutableRawPointer(staged + (i * 6 + m) * stride).storeBytes(of: value, as: SIMD8<Float>.self)
            }
            store(0, e.0)
            store(1, e.1)
            store(2, e.2)
            store(3, e.3)
            store(4, e.4)
            store(5, e.5)
        }
    }

    /// The six image rows from `top` of one channel, columns from −padding on, into `band` (six rows of `width`),
    /// zero outside the image.
    @inline(__always)
    private func fillBand(_ band: UnsafeMutablePointer<Float>, width bandWidth: Int, from source: UnsafePointer<Float>, top: Int) {
        let left = padding.1
        let copied = max(0, min(width, bandWidth - left))
        for r in 0..<6 {
            let y = top + r
            let row = band + r * bandWidth
            guard y >= 0 && y < height else {
                row.update(repeating: 0, count: bandWidth)
                continue
            }
            row.update(repeating: 0, count: left)
            (row + left).update(from: source + y * width, count: copied)
            (row + left + copied).update(repeating: 0, count: bandWidth - left - copied)
        }
    }

    /// Column j (0..5) of one patch row of eight adjacent tiles, one tile per lane: x[4·lane + j] from the 36
    /// floats at `row`, split out by even and odd halves.
    @inline(__always)
    private static func deinterleavedPatchRow(_ row: UnsafePointer<Float>) -> (
        SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>
    ) {
        @inline(__always) func load(_ offset: Int) -> SIMD16<Float> {
            UnsafeRawPointer(row + offset).loadUnaligned(as: SIMD16<Float>.self)
        }
        let (a, b, shiftedA, shiftedB) = (load(0), load(16), load(4), load(20))
        let evens = SIMD16(lowHalf: a.evenHalf, highHalf: b.evenHalf)
        let odds = SIMD16(lowHalf: a.oddHalf, highHalf: b.oddHalf)
        let shiftedEvens = SIMD16(lowHalf: shiftedA.evenHalf, highHalf: shiftedB.evenHalf)
        let shiftedOdds = SIMD16(lowHalf: shiftedA.oddHalf, highHalf: shiftedB.oddHalf)
        return (evens.evenHalf, odds.evenHalf, evens.oddHalf, odds.oddHalf, shiftedEvens.evenHalf, shiftedOdds.evenHalf)
    }

    /// Column j (0..5) of one patch row of eight adjacent tiles `step` apart, one tile per lane: x[step·lane + j].
    @inline(__always)
    private static func gatheredPatchRow(_ row: UnsafePointer<Float>, step: Int) -> (
        SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>
    ) {
        @inline(__always) func column(_ j: Int) -> SIMD8<Float> {
            let x = row + j
            return SIMD8(x[0], x[step], x[2 * step], x[3 * step], x[4 * step], x[5 * step], x[6 * step], x[7 * step])
        }
        return (column(0), column(1), column(2), column(3), column(4), column(5))
    }

    /// Bᵀ applied to six values (a patch row, or a column of the row-transformed patch).
    @inline(__always)
    private static func inputRowTransform<V: SIMD>(_ x: (V, V, V, V, V, V)) -> (V, V, V, V, V, V)
    where V.Scalar == Float {
        let (x0, x1, x2, x3, x4, x5) = x
        let (fourMinusSixteen, fourMinusOne) = (x4 - x2 * 4, x1 * 4 - x3)
        let (twoMinusOne, twiceDifference) = (x4 - x2, (x1 - x3) * 2)
        return (
            x0 * 4 - x2 * 5 + x4, fourMinusSixteen - fourMinusOne, fourMinusSixteen + fourMinusOne,
            twoMinusOne - twiceDifference, twoMinusOne + twiceDifference, x1 * 4 - x3 * 5 + x5
        )
    }

    /// Y = Aᵀ·m·A for the 6x6 products of every tile of `channels` and `tileRows`, plus bias and residual, then
    /// the activation. As in the input transform, a few tile rows of one channel's products are first copied
    /// into [36, staged tiles + 8], a point at a time: read straight from M, each group read 36 streams at once.
    func transformWideOutput(
        _ m: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
        residual: UnsafePointer<Float>?, bias: [Float]?, channels: Range<Int>, tileRows rows: Range<Int>
    ) {
        let (tiles, tileColumns, outHeight, outWidth) = (tiles, tileColumns, outHeight, outWidth)
        let plane = outChannels * tiles
        let relu = activation == .relu
        // Outputs per tile side, and the scratch row length: eight tiles side by side.
        let (step, rowLength) = (variant.outputTile, 8 * variant.outputTile)
        let chunkRows = min(stagedTileRows, rows.count)
        // Eight floats of slack: a tile row's last group loads all eight lanes and drops those past the row.
        let stride = chunkRows * tileColumns + 8
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 30) { alongRows in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: step * rowLength + 36 * stride) { scratch in
                let (along, outputRows) = (alongRows.baseAddress!, scratch.baseAddress!)
                let staged = outputRows + step * rowLength
                // Lanes past the copied tiles are computed and dropped; zeroed once, they hold no stale NaNs.
                staged.initialize(repeating: 0, count: 36 * stride)
                for o in channels {
                    let shift = bias?[o] ?? 0
                    let target = output + o * outHeight * outWidth
                    let extra = residual.map { $0 + o * outHeight * outWidth }
                    for chunkStart in Swift.stride(from: rows.lowerBound, to: rows.upperBound, by: chunkRows) {
                        let chunk = chunkStart..<min(rows.upperBound, chunkStart + chunkRows)
                        for point in 0..<36 {
                            (staged + point * stride).update(
                                from: m + point * plane + o * tiles + chunk.lowerBound * tileColumns, count: chunk.count * tileColumns)
                        }
                        for tileRow in chunk {
                            let top = step * tileRow
                            for column in Swift.stride(from: 0, to: tileColumns, by: 8) {
                                Self.transformOutputGroup(
                                    UnsafePointer(staged + (tileRow - chunk.lowerBound) * tileColumns + column), stride: stride,
                                    step: step, along: along, into: outputRows)
                                let left = step * column
                                let columns = min(8 * step, outWidth - left)
                                for p in 0..<min(step, outHeight - top) {
                                    let rowStart = (top + p) * outWidth + left
                                    Self.writeRow(
                                        outputRows + p * rowLength, columns: columns, shift: shift, relu: relu,
                                        into: target + rowStart, residual: extra.map { $0 + rowStart })
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Aᵀ·m·A for eight adjacent tiles whose 36 points are `stride` apart from `products`: `step` output rows of
    /// eight tiles side by side (8·step floats each) into `outputRows`; `along` holds the rows' transforms.
    @inline(__always)
    private static func transformOutputGroup(
        _ products: UnsafePointer<Float>, stride: Int, step: Int, along: UnsafeMutablePointer<SIMD8<Float>>,
        into outputRows: UnsafeMutablePointer<Float>
    ) {
        let fifth = step == 5
        @inline(__always) func point(_ index: Int) -> SIMD8<Float> {
            UnsafeRawPointer(products + index * stride).loadUnaligned(as: SIMD8<Float>.self)
        }
        for i in 0..<6 {
            let g = outputRowTransform(
                (point(i * 6), point(i * 6 + 1), point(i * 6 + 2), point(i * 6 + 3), point(i * 6 + 4), point(i * 6 + 5)),
                fifth: fifth)
            (along[i * step], along[i * step + 1], along[i * step + 2], along[i * step + 3]) = (g.0, g.1, g.2, g.3)
            if fifth { along[i * step + 4] = g.4 }
        }
        /// Aᵀ down column q of the row transforms: output column q of the tile's rows.
        @inline(__always) func column(_ q: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
            outputRowTransform(
                (along[q], along[step + q], along[2 * step + q], along[3 * step + q], along[4 * step + q], along[5 * step + q]),
                fifth: fifth)
        }
        let rowLength = 8 * step
        if fifth {
            for q in 0..<5 {
                let y = column(q)
                @inline(__always) func spread(_ p: Int, _ value: SIMD8<Float>) {
                    for lane in 0..<8 { outputRows[p * rowLength + lane * 5 + q] = value[lane] }
                }
                spread(0, y.0)
                spread(1, y.1)
                spread(2, y.2)
                spread(3, y.3)
                spread(4, y.4)
            }
            return
        }
        // F(4×4, 3×3): each output row's four columns interleaved in registers into whole vectors; stored lane by
        // lane, as the 5-wide rows still are, they took about a fifth longer.
        let (c0, c1, c2, c3) = (column(0), column(1), column(2), column(3))
        @inline(__always) func write(_ p: Int, _ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>, _ d: SIMD8<Float>) {
            let row = UnsafeMutableRawPointer(outputRows + p * rowLength)
            let (v0, v1, v2, v3) = interleaved(a, b, c, d)
            row.storeBytes(of: v0, as: SIMD8<Float>.self)
            row.storeBytes(of: v1, toByteOffset: 32, as: SIMD8<Float>.self)
            row.storeBytes(of: v2, toByteOffset: 64, as: SIMD8<Float>.self)
            row.storeBytes(of: v3, toByteOffset: 96, as: SIMD8<Float>.self)
        }
        write(0, c0.0, c1.0, c2.0, c3.0)
        write(1, c0.1, c1.1, c2.1, c3.1)
        write(2, c0.2, c1.2, c2.2, c3.2)
        write(3, c0.3, c1.3, c2.3, c3.3)
    }

    /// Four vectors' lanes interleaved: a0 b0 c0 d0 a1 b1 c1 d1 … a7 b7 c7 d7, as four vectors.
    @inline(__always)
    private static func interleaved(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>, _ d: SIMD8<Float>) -> (
        SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>
    ) {
        @inline(__always) func pair(_ l: Int) -> SIMD8<Float> {
            SIMD8(a[l], b[l], c[l], d[l], a[l + 1], b[l + 1], c[l + 1], d[l + 1])
        }
        return (pair(0), pair(2), pair(4), pair(6))
    }

    /// Aᵀ applied to six values: four (F(4×4, 3×3); the fifth is zero), or five (`fifth`, F(5×5, 2×2)).
    @inline(__always)
    private static func outputRowTransform<V: SIMD>(_ y: (V, V, V, V, V, V), fifth: Bool) -> (V, V, V, V, V)
    where V.Scalar == Float {
        let (y0, y1, y2, y3, y4, y5) = y
        let (sum12, difference12, sum34, difference34) = (y1 + y2, y1 - y2, y3 + y4, y3 - y4)
        let (first, second, third) = (y0 + sum12 + sum34, difference12 + difference34 * 2, sum12 + sum34 * 4)
        let fourth = difference12 + difference34 * 8
        if fifth { return (first, second, third, fourth, sum12 + sum34 * 16 + y5) }
        return (first, second, third, fourth + y5, .zero)
    }

    /// One output row's `columns` values: value + bias, + residual, then ReLU (negatives and −0 become +0, NaN
    /// stays, as max(value, 0) does), eight at a time while eight remain.
    @inline(__always)
    private static func writeRow(
        _ values: UnsafePointer<Float>, columns: Int, shift: Float, relu: Bool,
        into target: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?
    ) {
        var x = 0
        while x + 8 <= columns {
            var value = UnsafeRawPointer(values + x).loadUnaligned(as: SIMD8<Float>.self) + shift
            if let residual { value += UnsafeRawPointer(residual + x).loadUnaligned(as: SIMD8<Float>.self) }
            if relu { value.replace(with: 0, where: .zero .>= value) }
            UnsafeMutableRawPointer(target + x).storeBytes(of: value, as: SIMD8<Float>.self)
            x += 8
        }
        while x < columns {
            var value = values[x] + shift
            if let residual { value += residual[x] }
            if relu && 0 >= value { value = 0 }
            target[x] = value
            x += 1
        }
    }
}
