/// The numeric steps of the unified preprocessing (Image/Preprocess.swift checks the image first):
/// 8-bit pixels to normalised float planes, and zero padding at the bottom and right.
extension Tensor {
    /// to_tensor then normalize, each step rounded to float as PyTorch rounds it: (p / 255 − mean) / std.
    /// Layout: `height · width · channels` interleaved bytes, grey (1 channel, read as R = G = B) or RGB
    /// → [1, 3, H, W].
    public static func normalizedPlanes(
        pixels: [UInt8], height: Int, width: Int, channels: Int, mean: [Float], std: [Float]
    ) -> Tensor {
        precondition(channels == 1 || channels == 3, "grey or RGB pixels, got \(channels) channels")
        precondition(pixels.count == height * width * channels, "\(pixels.count) bytes for \(height)x\(width)x\(channels)")
        let plane = height * width
        var x = Tensor(uninitializedShape: [1, 3, height, width])
        x.withUnsafeMutableBufferPointer { out in
            pixels.withUnsafeBufferPointer { pixels in
                for channel in 0..<3 {
                    // One table per channel: 256 values, each computed exactly as the per-pixel formula.
                    let table = (0..<256).map { (Float($0) / 255 - mean[channel]) / std[channel] }
                    table.withUnsafeBufferPointer { table in
                        let source = channels == 3 ? channel : 0
                        for i in 0..<plane { out[channel * plane + i] = table[Int(pixels[i * channels + source])] }
                    }
                }
            }
        }
        return x
    }

    /// Layout: [1, C, H, W] → [1, C, height, width] with the original at the top left and zeros after.
    public func zeroPadded(height: Int, width: Int) -> Tensor {
        precondition(rank == 4 && dim(0) == 1 && height >= dim(2) && width >= dim(3), "pad \(shape) to \(height)x\(width)")
        let (channels, rows, columns) = (dim(1), dim(2), dim(3))
        var padded = Tensor(zeros: [1, channels, height, width])
        withUnsafeBufferPointer { source in
            padded.withUnsafeMutableBufferPointer { target in
                for channel in 0..<channels {
                    for row in 0..<rows {
                        let from = (channel * rows + row) * columns
                        let to = (channel * height + row) * width
                        for column in 0..<columns { target[to + column] = source[from + column] }
                    }
                }
            }
        }
        return padded
    }
}
