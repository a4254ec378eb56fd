/// `nn.Linear`: y[N, out] = x[N, in] · Wᵀ + b, with W stored [out, in] as PyTorch does.
public struct Linear: Sendable {
    public let weight: Tensor
    public let bias: Tensor?

    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 2, "linear weight must be [out, in], got \(weight.shape)")
        if let bias { precondition(bias.shape == [weight.dim(0)], "linear bias \(bias.shape) for \(weight.shape)") }
        self.weight = weight
        self.bias = bias
    }

    /// Input [N, in] (any leading shape whose last dimension is `in`), output [N, out].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (outFeatures, inFeatures) = (weight.dim(0), weight.dim(1))
        precondition(x.count % inFeatures == 0 && x.dim(-1) == inFeatures, "linear expects [..., \(inFeatures)], got \(x.shape)")
        let rows = x.count / inFeatures
        var output = Tensor(uninitializedShape: [rows, outFeatures])
        let biasScalars = bias?.scalars
        output.withUnsafeMutableBufferPointer { out in
            if let biasScalars {
                for r in 0..<rows { for o in 0..<outFeatures { out[r * outFeatures + o] = biasScalars[o] } }
            }
            x.withUnsafeBufferPointer { input in
                weight.withUnsafeBufferPointer { w in
                    Gemm.multiply(
                        m: rows, n: outFeatures, k: inFeatures, a: input.baseAddress!, lda: inFeatures,
                        b: w.baseAddress!, ldb: inFeatures, transposeB: true,
                        c: out.baseAddress!, ldc: outFeatures, beta: biasScalars == nil ? 0 : 1)
                }
            }
        }
        return output
    }
}
