/// The segmentation label map the reference reports: DeepLab logits at the padded input size are cropped
/// to the resized image, resized bilinearly (align_corners=False) to the original frame, and each pixel
/// takes the class with the largest logit (the first on ties, NaN above everything, as `argmax(1)` does).
///
/// Every bilinear value is `Resize.blend`'s two steps (along the two source rows, then between them), in the
/// same order as `Resize.bilinear`, so the labels equal those of resizing first, bit for bit. The steps are
/// only ordered differently in time: each source row is resized along its length once, into a two-row cache,
/// and every output row is then eight-wide arithmetic between two cached rows.
public enum LabelMap {
    /// Layout: logits [1, K, Hp, Wp] (K ≤ 256) → `original.height · original.width` labels, row-major.
    public static func labels(_ logits: Tensor, resized: ImageSize, original: ImageSize) -> [UInt8] {
        precondition(logits.rank == 4 && logits.dim(0) == 1, "label map expects [1, K, H, W], got \(logits.shape)")
        let (planeH, planeW) = (logits.dim(2), logits.dim(3))
        precondition(resized.height <= planeH && resized.width <= planeW, "crop \(resized) outside logits \(logits.shape)")
        let plane = planeH * planeW
        return logits.withUnsafeBufferPointer { input in
            // Rows straight from the stored map: nothing to compute.
            labels(classes: logits.dim(1), resized: resized, original: original) { k, row, _ in
                input.baseAddress! + k * plane + row * planeW
            }
        }
    }

    /// The same labels from the head's low-resolution logits [1, K, h, w], as if they were first upsampled
    /// bilinearly to the padded input (`Resize.bilinear(lowResolution, height: padded.height, width:
    /// padded.width)`): the upsampled rows are computed only inside the crop and only as the resize to the
    /// original reaches them, so the K x padded-size map (25.8 MB for 21 classes at 640x480) is never stored.
    public static func labels(upsampling lowResolution: Tensor, to padded: ImageSize, resized: ImageSize, original: ImageSize)
        -> [UInt8]
    {
        precondition(
            lowResolution.rank == 4 && lowResolution.dim(0) == 1, "label map expects [1, K, h, w], got \(lowResolution.shape)")
        precondition(resized.height <= padded.height && resized.width <= padded.width, "crop \(resized) outside \(padded)")
        let (classes, lowH, lowW) = (lowResolution.dim(1), lowResolution.dim(2), lowResolution.dim(3))
        let (upRows, upCols) = Resize.bilinearTaps(
            source: ImageSize(height: lowH, width: lowW), height: padded.height, width: padded.width)
        let width = resized.width
        // Every low-resolution row of every class resized along its length to the crop's columns, once
        // ([K][h][crop width]): each upsampled row is then a blend between two of them.
        var alongLowRows = [Float](repeating: 0, count: classes * lowH * width)
        lowResolution.withUnsafeBufferPointer { input in
            alongLowRows.withUnsafeMutableBufferPointer { along in
                for line in 0..<classes * lowH {
                    let (source, target) = (input.baseAddress! + line * lowW, along.baseAddress! + line * width)
                    for x in 0..<width { target[x] = Resize.along(source, column: upCols[x]) }
                }
            }
        }
        return alongLowRows.withUnsafeBufferPointer { along in
            labels(classes: classes, resized: resized, original: original) { k, row, scratch in
                let tap = upRows[row]
                let top = along.baseAddress! + (k * lowH + tap.first) * width
                let bottom = along.baseAddress! + (k * lowH + tap.second) * width
                Self.blendRows(top, bottom, row: tap, count: width, into: scratch)
                return UnsafePointer(scratch)
            }
        }
    }

    /// The resize of the crop to `original` and the argmax, one pass per output row: each class's resized row
    /// is computed and compared at once, so the K x H x W resized scores are never stored. `source(k, r,
    /// scratch)` gives class k's padded-size row r (at least the crop's columns), computed into `scratch`
    /// (room for the crop's width) or found elsewhere.
    private static func labels(
        classes: Int, resized: ImageSize, original: ImageSize,
        source: (_ k: Int, _ row: Int, _ scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float>
    ) -> [UInt8] {
        precondition(classes >= 1 && classes <= 256, "\(classes) classes do not fit in a byte")
        let (height, width) = (original.height, original.width)
        let (rows, cols) = Resize.bilinearTaps(source: resized, height: height, width: width)
        var labels = [UInt8](repeating: 0, count: height * width)
        labels.withUnsafeMutableBufferPointer { labels in
            Compute.parallelFor(height, minimumPerThread: 8) { outputRows in
                // Each thread's two source rows resized along their length (every class): consecutive output
                // rows mostly blend the same two.
                let cache = ResizedRows(classes: classes, width: width, scratchWidth: resized.width)
                let best = UnsafeMutablePointer<Float>.allocate(capacity: width)
                defer { best.deallocate() }
                let fill = { (row: Int, target: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) in
                    for k in 0..<classes {
                        let line = source(k, row, scratch)
                        let resizedLine = target + k * width
                        for ox in 0..<width { resizedLine[ox] = Resize.along(line, column: cols[ox]) }
                    }
                }
                for oy in outputRows {
                    let tap = rows[oy]
                    let top = cache.rows(tap.first, fill: fill)
                    let bottom = cache.rows(tap.second, fill: fill)
                    blendRows(top, bottom, row: tap, count: width, into: best)
                    for k in 1..<classes {
                        keepLarger(
                            top + k * width, bottom + k * width, row: tap, count: width, label: UInt8(k), best: best,
                            labels: labels.baseAddress! + oy * width)
                    }
                }
            }
        }
        return labels
    }

    /// `count` values between two rows, eight at a time while eight remain.
    @inline(__always)
    private static func blendRows(
        _ top: UnsafePointer<Float>, _ bottom: UnsafePointer<Float>, row: Resize.Tap, count: Int,
        into target: UnsafeMutablePointer<Float>
    ) {
        var x = 0
        while x + 8 <= count {
            let value = Resize.between(load(top + x), load(bottom + x), row: row)
            UnsafeMutableRawPointer(target + x).storeBytes(of: value, as: SIMD8<Float>.self)
            x += 8
        }
        while x < count {
            target[x] = Resize.between(top[x], bottom[x], row: row)
            x += 1
        }
    }

    /// One class's row between `top` and `bottom`, compared with the best so far: where it is larger, or NaN
    /// over a number, it becomes the best and its pixels take `label`.
    @inline(__always)
    private static func keepLarger(
        _ top: UnsafePointer<Float>, _ bottom: UnsafePointer<Float>, row: Resize.Tap, count: Int, label: UInt8,
        best: UnsafeMutablePointer<Float>, labels: UnsafeMutablePointer<UInt8>
    ) {
        var x = 0
        while x + 8 <= count {
            let value = Resize.between(load(top + x), load(bottom + x), row: row)
            let old = load(UnsafePointer(best + x))
            let larger = (value .> old) .| ((value .!= value) .& (old .== old))
            if any(larger) {
                UnsafeMutableRawPointer(best + x).storeBytes(of: old.replacing(with: value, where: larger), as: SIMD8<Float>.self)
                for lane in 0..<8 where larger[lane] { labels[x + lane] = label }
            }
            x += 8
        }
        while x < count {
            let value = Resize.between(top[x], bottom[x], row: row)
            if value > best[x] || (value.isNaN && !best[x].isNaN) {
                best[x] = value
                labels[x] = label
            }
            x += 1
        }
    }

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }
}

/// Two source rows of every class resized along their length, [2][K][width], and which rows they hold;
/// one thread's, with the scratch row its source may compute into.
private final class ResizedRows {
    private let buffer: UnsafeMutablePointer<Float>
    private let scratch: UnsafeMutablePointer<Float>
    private let classes: Int, width: Int
    private var held = [-1, -1]
    /// The slot used last: a new row goes to the other one, so the two rows an output row blends both stay.
    private var newest = 1

    init(classes: Int, width: Int, scratchWidth: Int) {
        (self.classes, self.width) = (classes, width)
        buffer = .allocate(capacity: 2 * classes * width)
        scratch = .allocate(capacity: scratchWidth)
    }

    deinit {
        buffer.deallocate()
        scratch.deallocate()
    }

    /// Source row `row` of every class ([K][width]), made by `fill(row, target, scratch)` when neither slot
    /// holds it.
    func rows(
        _ row: Int, fill: (Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> UnsafePointer<Float> {
        let slot: Int
        if held[0] == row {
            slot = 0
        } else if held[1] == row {
            slot = 1
        } else {
            slot = 1 - newest
            fill(row, buffer + slot * classes * width, scratch)
            held[slot] = row
        }
        newest = slot
        return UnsafePointer(buffer + slot * classes * width)
    }
}
