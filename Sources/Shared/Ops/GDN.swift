/// compressai's simplified generalized divisive normalisation (GDN1, Johnston et al. 2019):
/// norm[i] = β[i] + Σ_j γ[i, j]·|x[j]|, then y = x / norm (GDN) or y = x · norm (inverse GDN, "IGDN").
///
/// `beta` [C] and `gamma` [C, C] are the effective values (compressai's non-negative
/// reparametrisation already applied). Layout: [N, C, H, W] in and out.
public struct GDN: Sendable {
    public let beta: Tensor
    public let gamma: Tensor
    public let inverse: Bool
    private let normConv: Conv2d

    public init(beta: Tensor, gamma: Tensor, inverse: Bool) {
        let channels = beta.count
        precondition(gamma.shape == [channels, channels], "GDN gamma \(gamma.shape) for \(channels) channels")
        self.beta = beta
        self.gamma = gamma
        self.inverse = inverse
        normConv = Conv2d(weight: gamma.reshaped([channels, channels, 1, 1]), bias: beta)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        var norm = normConv(x.absolute())
        let inverse = self.inverse
        x.withUnsafeBufferPointer { input in
            norm.withUnsafeMutableBufferPointer { output in
                let (source, target) = (input.baseAddress!, output.baseAddress!)
                Compute.parallelFor(output.count, minimumPerThread: 1 << 15) { range in
                    if inverse {
                        for i in range { target[i] = source[i] * target[i] }
                    } else {
                        // compressai multiplies by the reciprocal; doing the same keeps results bit-identical.
                        for i in range { target[i] = source[i] * (1 / target[i]) }
                    }
                }
            }
        }
        return norm
    }
}

extension Tensor {
    /// |x| elementwise.
    public func absolute() -> Tensor {
        var result = self
        result.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            Compute.parallelFor(buffer.count, minimumPerThread: 1 << 16) { range in
                for i in range { base[i] = Swift.abs(base[i]) }
            }
        }
        return result
    }
}
