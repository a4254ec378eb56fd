/// compressai's simplified generalized divisive normalisation (GDN1, Johnston et al. 2019):
/// norm[i] = β[i] + Σ_j γ[i, j]·|x[j]|, then y = x / norm (GDN) or y = x · norm (inverse GDN, "IGDN").
///
/// `beta` [C] and `gamma` [C, C] are the effective values (compressai's non-negative
/// reparametrisation already applied). Layout: [N, C, H, W] in and out.
///
/// The map is normalised in panels of pixels: |x| and the norm of one panel are small enough to stay in
/// cache between the GEMM that makes the norm and the pass that divides by it. On the encoder's first
/// GDN (96 channels, 160x208) whole-map buffers would be 12.8 MB each, written and read back three times.
public struct GDN: Sendable {
    public let beta: Tensor
    public let gamma: Tensor
    public let inverse: Bool
    private let shifts: [Float]

    /// Pixels per panel: at least this many, so the GEMM stays wide, more when the channels are few.
    static let minimumPanel = 1024
    /// Bytes of |x| per panel, when that gives more than `minimumPanel` pixels.
    static let panelBytes = 128 << 10

    public init(beta: Tensor, gamma: Tensor, inverse: Bool) {
        let channels = beta.count
        precondition(gamma.shape == [channels, channels], "GDN gamma \(gamma.shape) for \(channels) channels")
        self.beta = beta
        self.gamma = gamma
        self.inverse = inverse
        shifts = beta.scalars
    }

    /// `panelPixels` overrides the panel width (nil: sized to the cache); tests make panels small so that small
    /// fixtures cross panel edges.
    public func callAsFunction(_ x: Tensor, panelPixels: Int? = nil) -> Tensor {
        let channels = beta.count
        precondition(x.rank == 4 && x.dim(1) == channels, "GDN over \(channels) channels got \(x.shape)")
        let plane = x.dim(2) * x.dim(3)
        let fitting = max(Self.minimumPanel, Self.panelBytes / (channels * MemoryLayout<Float>.stride))
        let panel = min(plane, max(1, panelPixels ?? fitting))
        var y = Tensor(uninitializedShape: x.shape)
        var magnitudes = Tensor(uninitializedShape: [channels, panel])
        var norms = Tensor(uninitializedShape: [channels, panel])
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                magnitudes.withUnsafeMutableBufferPointer { ms in
                    norms.withUnsafeMutableBufferPointer { ns in
                        let scratch = (magnitudes: ms.baseAddress!, norms: ns.baseAddress!)
                        for image in 0 ..< x.dim(0) {
                            let offset = image * channels * plane
                            for start in stride(from: 0, to: plane, by: panel) {
                                normalise(xs.baseAddress! + offset + start, into: ys.baseAddress! + offset + start,
                                          plane: plane, width: min(panel, plane - start), scratch: scratch)
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    /// One panel: `width` pixels of every channel, channel c at `source + c·plane`.
    private func normalise(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, plane: Int,
                           width: Int, scratch: (magnitudes: UnsafeMutablePointer<Float>, norms: UnsafeMutablePointer<Float>)) {
        let channels = beta.count
        let (magnitudes, norms) = scratch
        Compute.parallelFor(channels, minimumPerThread: 8) { range in
            for c in range {
                let (from, to) = (source + c * plane, magnitudes + c * width)
                for i in 0 ..< width { to[i] = Swift.abs(from[i]) }
            }
        }
        gamma.withUnsafeBufferPointer { g in
            Gemm.multiply(m: channels, n: width, k: channels, a: g.baseAddress!, lda: channels,
                          b: magnitudes, ldb: width, c: norms, ldc: width, beta: 0)
        }
        let (shifts, inverse) = (shifts, inverse)
        Compute.parallelFor(channels, minimumPerThread: 8) { range in
            for c in range {
                let (from, to, norm, shift) = (source + c * plane, target + c * plane, norms + c * width, shifts[c])
                if inverse {
                    for i in 0 ..< width { to[i] = from[i] * (norm[i] + shift) }
                } else {
                    // compressai takes the reciprocal, then multiplies; doing the same rounds as it does.
                    for i in 0 ..< width { to[i] = from[i] * (1 / (norm[i] + shift)) }
                }
            }
        }
    }
}
