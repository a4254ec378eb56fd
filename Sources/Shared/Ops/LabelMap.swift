/// The segmentation label map the reference reports: DeepLab logits at the padded input size are cropped
/// to the resized image, resized bilinearly (align_corners=False) to the original frame, and each pixel
/// takes the class with the largest logit (the first on ties, NaN above everything, as `argmax(1)` does).
public enum LabelMap {
    /// Layout: logits [1, K, Hp, Wp] (K ≤ 256) → `original.height · original.width` labels, row-major.
    public static func labels(_ logits: Tensor, resized: ImageSize, original: ImageSize) -> [UInt8] {
        precondition(logits.rank == 4 && logits.dim(0) == 1, "label map expects [1, K, H, W], got \(logits.shape)")
        precondition(logits.dim(1) >= 1 && logits.dim(1) <= 256, "\(logits.dim(1)) classes do not fit in a byte")
        let (height, width) = (original.height, original.width)
        let (rows, cols) = Resize.bilinearTaps(source: resized, height: height, width: width)
        let (classes, planeH, planeW) = (logits.dim(1), logits.dim(2), logits.dim(3))
        let plane = planeH * planeW
        var labels = [UInt8](repeating: 0, count: height * width)
        // One pass per output row: each class's resized row is computed (as `Resize.bilinear` computes it,
        // bit for bit) and compared at once, so the K x H x W resized scores are never stored.
        logits.withUnsafeBufferPointer { input in
            labels.withUnsafeMutableBufferPointer { labels in
                Compute.parallelFor(height, minimumPerThread: 8) { outputRows in
                    var best = [Float](repeating: 0, count: width)
                    best.withUnsafeMutableBufferPointer { best in
                        for oy in outputRows {
                            let row = rows[oy]
                            let line = oy * width
                            for k in 0..<classes {
                                let top = k * plane + row.first * planeW
                                let bottom = k * plane + row.second * planeW
                                @inline(__always) func resized(_ ox: Int) -> Float {
                                    let col = cols[ox]
                                    let upper = input[top + col.first] * col.firstWeight + input[top + col.second] * col.secondWeight
                                    let lower =
                                        input[bottom + col.first] * col.firstWeight + input[bottom + col.second] * col.secondWeight
                                    return upper * row.firstWeight + lower * row.secondWeight
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
        }
        return labels
    }
}
