/// Pointwise kernels on raw buffers, shared by the ops that fuse them.
enum Elementwise {
    static func reluInPlace(_ values: UnsafeMutablePointer<Float>, count: Int) {
        Compute.parallelFor(count, minimumPerThread: 1 << 16) { range in
            for i in range where values[i] < 0 { values[i] = 0 }
        }
    }
}

extension Tensor {
    /// max(x, 0) elementwise; NaN stays NaN, as in `torch.relu`.
    public func relu() -> Tensor {
        var result = self
        result.withUnsafeMutableBufferPointer { Elementwise.reluInPlace($0.baseAddress!, count: $0.count) }
        return result
    }
}
