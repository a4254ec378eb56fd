/// The segmentation label map the reference reports: DeepLab logits at the padded input size are cropped
/// to the resized image, resized bilinearly (align_corners=False) to the original frame, and each pixel
/// takes the class with the largest logit (the first on ties, NaN above everything, as `argmax(1)` does).
public enum LabelMap {
    /// Layout: logits [1, K, Hp, Wp] (K ≤ 256) → `original.height · original.width` labels, row-major.
    public static func labels(_ logits: Tensor, resized: ImageSize, original: ImageSize) -> [UInt8] {
        precondition(logits.rank == 4 && logits.dim(0) == 1, "label map expects [1, K, H, W], got \(logits.shape)")
        precondition(logits.dim(1) >= 1 && logits.dim(1) <= 256, "\(logits.dim(1)) classes do not fit in a byte")
        let scores = Resize.bilinear(logits, height: original.height, width: original.width, window: resized)
        return argmax(scores)
    }

    /// Layout: [1, K, H, W] → H·W class indices.
    static func argmax(_ scores: Tensor) -> [UInt8] {
        let (classes, plane) = (scores.dim(1), scores.dim(2) * scores.dim(3))
        var labels = [UInt8](repeating: 0, count: plane)
        scores.withUnsafeBufferPointer { values in
            labels.withUnsafeMutableBufferPointer { labels in
                Compute.parallelFor(plane, minimumPerThread: 4096) { pixels in
                    // Sweep one class plane at a time over a block of pixels: contiguous reads.
                    var best = Array(values[pixels])
                    for k in 1..<classes {
                        let base = k * plane
                        for i in pixels {
                            let value = values[base + i]
                            let current = best[i - pixels.lowerBound]
                            if value > current || (value.isNaN && !current.isNaN) {
                                best[i - pixels.lowerBound] = value
                                labels[i] = UInt8(k)
                            }
                        }
                    }
                }
            }
        }
        return labels
    }
}
