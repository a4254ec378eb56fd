/// Batches along the first dimension: frames stacked for one pass through the trunk, and each frame's
/// slice taken back out for the parts that run per image.
extension Tensor {
    /// Tensors of one shape [1, ...] → [N, ...], in order.
    public static func stacking(_ images: [Tensor]) -> Tensor {
        precondition(!images.isEmpty, "nothing to stack")
        let shape = images[0].shape
        precondition(shape.first == 1 && images.allSatisfy { $0.shape == shape }, "stacking needs tensors of one shape [1, ...]")
        if images.count == 1 { return images[0] }
        var stacked = Tensor(uninitializedShape: [images.count] + shape.dropFirst())
        let each = images[0].count
        stacked.withUnsafeMutableBufferPointer { target in
            for (index, image) in images.enumerated() {
                image.withUnsafeBufferPointer { source in
                    (target.baseAddress! + index * each).update(from: source.baseAddress!, count: each)
                }
            }
        }
        return stacked
    }

    /// Image `index` of [N, ...] as [1, ...] (the tensor itself when N is 1).
    public func image(_ index: Int) -> Tensor {
        precondition(rank >= 1 && index >= 0 && index < dim(0), "image \(index) of \(shape)")
        if dim(0) == 1 { return self }
        let each = count / dim(0)
        var slice = Tensor(uninitializedShape: [1] + shape.dropFirst())
        withUnsafeBufferPointer { source in
            slice.withUnsafeMutableBufferPointer { target in
                target.baseAddress!.update(from: source.baseAddress! + index * each, count: each)
            }
        }
        return slice
    }
}
