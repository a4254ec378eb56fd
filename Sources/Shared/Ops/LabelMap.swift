/// The segmentation label map the reference reports: DeepLab logits at the padded input size are cropped
/// to the resized image, resized bilinearly (align_corners=False) to the original frame, and each pixel
/// takes the class with the largest logit (the first on ties, NaN above everything, as `argmax(1)` does).
public enum LabelMap {
    /// Layout: logits [1, K, Hp, Wp] (K ≤ 256) → `original.height · original.width` labels, row-major.
    public static func labels(_ logits: Tensor, resized: ImageSize, original: ImageSize) -> [UInt8] {
        precondition(logits.rank == 4 && logits.dim(0) == 1, "label map expects [1, K, H, W], got \(logits.shape)")
        let (planeH, planeW) = (logits.dim(2), logits.dim(3))
        precondition(resized.height <= planeH && resized.width <= planeW, "crop \(resized) outside logits \(logits.shape)")
        let plane = planeH * planeW
        return logits.withUnsafeBufferPointer { input in
            labels(classes: logits.dim(1), resized: resized, original: original) { rows in
                // Rows straight from the stored map: nothing to compute or keep.
                { k, row in input.baseAddress! + k * plane + row * planeW }
            }
        }
    }

    /// The same labels from the head's low-resolution logits [1, K, h, w], as if they were first upsampled
    /// bilinearly to the padded input (`Resize.bilinear(lowResolution, height: padded.height, width:
    /// padded.width)`): the upsampled rows are computed only inside the crop and only as the resize to the
    /// original reaches them, so the K x padded-size map (25.8 MB for 21 classes at 640x480) is never stored.
    /// Every value comes from `Resize.blend`, as in `Resize.bilinear`, so the labels are the same bit for bit.
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
        return lowResolution.withUnsafeBufferPointer { input in
            labels(classes: classes, resized: resized, original: original) { _ in
                // Each thread keeps the two upsampled rows (every class, the crop's columns) it used last:
                // consecutive output rows mostly read the same ones.
                let cache = UpsampledRows(classes: classes, width: width)
                return { k, row in
                    cache.row(k, row) { target in
                        let tap = upRows[row]
                        for c in 0..<classes {
                            let top = input.baseAddress! + (c * lowH + tap.first) * lowW
                            let bottom = input.baseAddress! + (c * lowH + tap.second) * lowW
                            let line = target + c * width
                            for x in 0..<width {
                                line[x] = Resize.blend(top: top, bottom: bottom, column: upCols[x], row: tap)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The resize of the crop to `original` and the argmax, one pass per output row: each class's resized row
    /// is computed (by `Resize.blend`, as `Resize.bilinear` computes it) and compared at once, so the K x H x W
    /// resized scores are never stored. `source` makes, once per thread, the function that gives class k's
    /// row r of the padded-size logits (valid until it is asked for a third row).
    private static func labels(
        classes: Int, resized: ImageSize, original: ImageSize,
        source: (Range<Int>) -> (Int, Int) -> UnsafePointer<Float>
    ) -> [UInt8] {
        precondition(classes >= 1 && classes <= 256, "\(classes) classes do not fit in a byte")
        let (height, width) = (original.height, original.width)
        let (rows, cols) = Resize.bilinearTaps(source: resized, height: height, width: width)
        var labels = [UInt8](repeating: 0, count: height * width)
        labels.withUnsafeMutableBufferPointer { labels in
            Compute.parallelFor(height, minimumPerThread: 8) { outputRows in
                let logitsRow = source(outputRows)
                var best = [Float](repeating: 0, count: width)
                best.withUnsafeMutableBufferPointer { best in
                    for oy in outputRows {
                        let row = rows[oy]
                        let line = oy * width
                        for k in 0..<classes {
                            let top = logitsRow(k, row.first)
                            let bottom = logitsRow(k, row.second)
                            @inline(__always) func resized(_ ox: Int) -> Float {
                                Resize.blend(top: top, bottom: bottom, column: cols[ox], row: row)
                            }
                            if k == 0 {
                                for ox in 0..<width { best[ox] = resized(ox) }
                                continue
                            }
                            for ox in 0..<width {
                                let value = resized(ox)
                                if value > best[ox] || (value.isNaN && !best[ox].isNaN) {
                                    best[ox] = value
                                    labels[line + ox] = UInt8(k)
                                }
                            }
                        }
                    }
                }
            }
        }
        return labels
    }
}

/// Two upsampled rows of every class, [2][K][width], and which padded rows they hold; one thread's.
private final class UpsampledRows {
    private let buffer: UnsafeMutablePointer<Float>
    private let classes: Int, width: Int
    private var held = [-1, -1]
    /// The slot used last: a new row goes to the other one, so the two rows an output row blends both stay.
    private var newest = 1

    init(classes: Int, width: Int) {
        (self.classes, self.width) = (classes, width)
        buffer = .allocate(capacity: 2 * classes * width)
    }

    deinit { buffer.deallocate() }

    /// Class k's part of padded row `row`, computing the row for every class (`fill` writes [K][width]) when
    /// neither slot holds it.
    func row(_ k: Int, _ row: Int, fill: (UnsafeMutablePointer<Float>) -> Void) -> UnsafePointer<Float> {
        let slot: Int
        if held[0] == row {
            slot = 0
        } else if held[1] == row {
            slot = 1
        } else {
            slot = 1 - newest
            fill(buffer + slot * classes * width)
            held[slot] = row
        }
        newest = slot
        return UnsafePointer(buffer + (slot * classes + k) * width)
    }
}
