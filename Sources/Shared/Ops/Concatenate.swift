extension Tensor {
    /// Joins [N, Ci, H, W] tensors along the channel axis, as `torch.cat(dim=1)`.
    public static func concatenateChannels(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "nothing to concatenate")
        let (n, height, width) = (parts[0].dim(0), parts[0].dim(2), parts[0].dim(3))
        precondition(
            parts.allSatisfy { $0.rank == 4 && $0.dim(0) == n && $0.dim(2) == height && $0.dim(3) == width },
            "channel concatenation needs equal N, H, W: \(parts.map(\.shape))")
        let channels = parts.map { $0.dim(1) }
        let total = channels.reduce(0, +)
        let plane = height * width
        var output = Tensor(uninitializedShape: [n, total, height, width])
        output.withUnsafeMutableBufferPointer { out in
            for image in 0..<n {
                var offset = image * total * plane
                for (part, c) in zip(parts, channels) {
                    part.withUnsafeBufferPointer { source in
                        (out.baseAddress! + offset).update(from: source.baseAddress! + image * c * plane, count: c * plane)
                    }
                    offset += c * plane
                }
            }
        }
        return output
    }

    /// Repeats a [N, C, 1, 1] tensor over an H x W grid: bilinear upsampling of a single pixel.
    public func broadcastSpatially(height: Int, width: Int) -> Tensor {
        precondition(rank == 4 && dim(2) == 1 && dim(3) == 1, "broadcast expects [N, C, 1, 1], got \(shape)")
        var output = Tensor(uninitializedShape: [dim(0), dim(1), height, width])
        withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { out in
                for plane in 0..<source.count {
                    (out.baseAddress! + plane * height * width).update(repeating: source[plane], count: height * width)
                }
            }
        }
        return output
    }
}
