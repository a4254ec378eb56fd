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
/// Eight tiles along a tile row at a time, one per SIMD8 lane, both where the tiles lie inside the image and at
/// its borders (there each patch row is first copied with zeros outside the image), so every tile goes through
/// the same operations in the same order.
extension WinogradPlan {
    /// Floats one row of eight adjacent patches spans: eight patch starts `step` apart, plus the last patch's
    /// width. F(4×4, 3×3) reads 36 (its column split loads 16 floats from offset 20).
    var widePatchRowSpan: Int { variant.outputTile == 4 ? 36 : 7 * variant.outputTile + 6 }

    /// V = Bᵀ·d·B for every 6x6 input patch d of `channels` and `tileRows`, stored [36, Cin, tiles].
    func transformWideInput(
        _ input: UnsafePointer<Float>, into v: UnsafeMutablePointer<Float>, channels: Range<Int>, tileRows rows: Range<Int>
    ) {
        let (tiles, tileColumns, height, width) = (tiles, tileColumns, height, width)
        let plane = inChannels * tiles
        let (step, span) = (variant.outputTile, widePatchRowSpan)
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 36) { alongRows in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: span) { paddedRow in
                let (along, padded) = (alongRows.baseAddress!, paddedRow.baseAddress!)
                for c in channels {
                    let source = input + c * height * width
                    let target = v + c * tiles
                    for tileRow in rows {
                        let top = step * tileRow - padding.0
                        var column = 0
                        while column < tileColumns {
                            let count = min(8, tileColumns - column)
                            let left = step * column - padding.1
                            let inside = top >= 0 && top + 6 <= height && left >= 0 && left + span <= width
                            for r in 0..<6 {
                                let y = top + r
                                let row: UnsafePointer<Float>
                                if inside {
                                    row = source + y * width + left
                                } else {
                                    // The floats the eight patches span, zero outside the image.
                                    let rowInside = y >= 0 && y < height
                                    for x in 0..<span {
                                        let sourceX = left + x
                                        padded[x] = rowInside && sourceX >= 0 && sourceX < width ? source[y * width + sourceX] : 0
                                    }
                                    row = UnsafePointer(padded)
                                }
                                let f = Self.inputRowTransform(
                                    step == 4 ? Self.deinterleavedPatchRow(row) : Self.gatheredPatchRow(row, step: step))
                                (along[r * 6], along[r * 6 + 1], along[r * 6 + 2]) = (f.0, f.1, f.2)
                                (along[r * 6 + 3], along[r * 6 + 4], along[r * 6 + 5]) = (f.3, f.4, f.5)
                            }
                            let tile = tileRow * tileColumns + column
                            for m in 0..<6 {
                                let e = Self.inputRowTransform(
                                    (along[m], along[6 + m], along[12 + m], along[18 + m], along[24 + m], along[30 + m]))
                                @inline(__always) func store(_ i: Int, _ value: SIMD8<Float>) {
                                    let point = target + (i * 6 + m) * plane + tile
                                    if count == 8 {
                                        UnsafeMutableRawPointer(point).storeBytes(of: value, as: SIMD8<Float>.self)
                                    } else {
                                        for lane in 0..<count { point[lane] = value[lane] }
                                    }
                                }
                                (store(0, e.0), store(1, e.1), store(2, e.2), store(3, e.3), store(4, e.4), store(5, e.5))
                            }
                            column += count
                        }
                    }
                }
            }
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
    /// the activation.
    func transformWideOutput(
        _ m: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
        residual: UnsafePointer<Float>?, bias: [Float]?, channels: Range<Int>, tileRows rows: Range<Int>
    ) {
        let (tiles, tileColumns, outHeight, outWidth) = (tiles, tileColumns, outHeight, outWidth)
        let plane = outChannels * tiles
        let relu = activation == .relu
        // Outputs per tile side, and the scratch row length: eight tiles side by side.
        let (step, rowLength) = (variant.outputTile, 8 * variant.outputTile)
        let fifth = step == 5
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 6 * step) { alongRows in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: step * rowLength) { tileRowsBuffer in
                let (along, outputRows) = (alongRows.baseAddress!, tileRowsBuffer.baseAddress!)
                for o in channels {
                    let shift = bias?[o] ?? 0
                    let target = output + o * outHeight * outWidth
                    let extra = residual.map { $0 + o * outHeight * outWidth }
                    let source = m + o * tiles
                    for tileRow in rows {
                        let top = step * tileRow
                        var column = 0
                        while column < tileColumns {
                            let count = min(8, tileColumns - column)
                            let tile = tileRow * tileColumns + column
                            @inline(__always) func point(_ index: Int) -> SIMD8<Float> {
                                let start = source + index * plane + tile
                                if count == 8 { return UnsafeRawPointer(start).loadUnaligned(as: SIMD8<Float>.self) }
                                var lanes = SIMD8<Float>.zero
                                for lane in 0..<count { lanes[lane] = start[lane] }
                                return lanes
                            }
                            for i in 0..<6 {
                                let g = Self.outputRowTransform(
                                    (point(i * 6), point(i * 6 + 1), point(i * 6 + 2), point(i * 6 + 3), point(i * 6 + 4), point(i * 6 + 5)),
                                    fifth: fifth)
                                (along[i * step], along[i * step + 1], along[i * step + 2], along[i * step + 3]) = (g.0, g.1, g.2, g.3)
                                if fifth { along[i * step + 4] = g.4 }
                            }
                            // Each tile's step x step outputs into `step` image rows of eight tiles side by side.
                            for q in 0..<step {
                                let y = Self.outputRowTransform(
                                    (along[q], along[step + q], along[2 * step + q], along[3 * step + q], along[4 * step + q], along[5 * step + q]),
                                    fifth: fifth)
                                @inline(__always) func spread(_ p: Int, _ value: SIMD8<Float>) {
                                    for lane in 0..<count { outputRows[p * rowLength + lane * step + q] = value[lane] }
                                }
                                (spread(0, y.0), spread(1, y.1), spread(2, y.2), spread(3, y.3))
                                if fifth { spread(4, y.4) }
                            }
                            let left = step * column
                            let columns = min(step * count, outWidth - left)
                            for p in 0..<min(step, outHeight - top) {
                                let rowStart = (top + p) * outWidth + left
                                Self.writeRow(
                                    outputRows + p * rowLength, columns: columns, shift: shift, relu: relu,
                                    into: target + rowStart, residual: extra.map { $0 + rowStart })
                            }
                            column += count
                        }
                    }
                }
            }
        }
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
