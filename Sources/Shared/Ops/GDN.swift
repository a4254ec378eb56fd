/// compressai's simplified generalized divisive normalisation (GDN1, Johnston et al. 2019):
/// norm[i] = β[i] + Σ_j γ[i, j]·|x[j]|, then y = x / norm (GDN) or y = x · norm (inverse GDN, "IGDN").
///
/// `beta` [C] and `gamma` [C, C] are the effective values (compressai's non-negative
/// reparametrisation already applied). Layout: [N, C, H, W] in and out.
///
/// The map is normalised in panels of pixels: |x| and the norm of one panel are small enough to stay in the
/// last-level cache between the GEMM that makes the norm and the pass that divides by it. On the encoder's
/// first GDN (96 channels, 160x208) whole-map buffers would be 12.8 MB each, written and read back three times.
public struct GDN: Sendable {
    public let beta: Tensor
    public let gamma: Tensor
    public let inverse: Bool
    private let shifts: [Float]

    /// Bytes of |x| per panel. Measured on the encoder's first GDN (96 channels): panels of 1024 to 8192 pixels
    /// take the same time at one thread; at two, the hand-offs between threads in each panel make 1024-pixel
    /// panels about 20% slower than 4096-pixel ones.
    static let panelBytes = 2 << 20
    /// Pixels per panel per channel, at least: each panel's GEMM packs all of γ (C² floats) again, which must
    /// stay small beside the panel's C·pixels. The decoder's 512-channel IGDNs on 8320-pixel maps, where the
    /// passes over the map cost little beside the GEMM, were 2% slower in 1024-pixel panels and 1.5% in two.
    static let minimumPixelsPerChannel = 32

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
        precondition(x.rank == 4 && x.dim(1) == beta.count, "GDN over \(beta.count) channels got \(x.shape)")
        let (channels, plane) = (beta.count, x.dim(2) * x.dim(3))
        let panel = panelPixels.map { min(plane, max(1, $0)) } ?? Self.evenPanels(of: plane, atMost: fittingPanel)
        var y = Tensor(uninitializedShape: x.shape)
        var scratch = PanelScratch(channels: channels, pixels: panel)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                for image in 0..<x.dim(0) {
                    let offset = image * channels * plane
                    for start in stride(from: 0, to: plane, by: panel) {
                        normalise(
                            xs.baseAddress! + offset + start, into: ys.baseAddress! + offset + start,
                            sourceStride: plane, targetStride: plane, width: min(panel, plane - start),
                            scratch: &scratch)
                    }
                }
            }
        }
        return y
    }

    /// The panel size that splits `total` into as few panels as `atMost` allows, all of about the same size
    /// (no thin last panel to pack γ for).
    static func evenPanels(of total: Int, atMost limit: Int) -> Int {
        let panels = (total + max(1, limit) - 1) / max(1, limit)
        return (total + panels - 1) / max(1, panels)
    }

    /// Pixels per panel sized to the cache.
    var fittingPanel: Int {
        max(Self.minimumPixelsPerChannel * beta.count, Self.panelBytes / (beta.count * MemoryLayout<Float>.stride))
    }

    /// Normalises one image [C, H, W] a panel of whole rows at a time into a panel buffer [C, rows, W] and hands
    /// each to `body` with its rows, for a consumer that reads rows (the polyphase split).
    func normalisedPanels(
        of image: UnsafePointer<Float>, height: Int, width: Int, panelRows: Int?,
        _ body: (Range<Int>, UnsafePointer<Float>) -> Void
    ) {
        let channels = beta.count
        let rowsPerPanel = min(height, max(1, panelRows ?? (fittingPanel + width - 1) / width))
        var scratch = PanelScratch(channels: channels, pixels: rowsPerPanel * width)
        var panel = Tensor(uninitializedShape: [channels, rowsPerPanel * width])
        panel.withUnsafeMutableBufferPointer { target in
            for first in stride(from: 0, to: height, by: rowsPerPanel) {
                let rows = first..<min(height, first + rowsPerPanel)
                let pixels = rows.count * width
                normalise(
                    image + first * width, into: target.baseAddress!, sourceStride: height * width,
                    targetStride: pixels, width: pixels, scratch: &scratch)
                body(rows, target.baseAddress!)
            }
        }
    }

    /// Normalises a panel [C, pixels] in place.
    func normalise(panel: UnsafeMutablePointer<Float>, pixels: Int, scratch: inout PanelScratch) {
        normalise(panel, into: panel, sourceStride: pixels, targetStride: pixels, width: pixels, scratch: &scratch)
    }

    /// |x| and the norm of one panel, [C, pixels].
    struct PanelScratch {
        var magnitudes: Tensor
        var norms: Tensor

        init(channels: Int, pixels: Int) {
            magnitudes = Tensor(uninitializedShape: [channels, pixels])
            norms = Tensor(uninitializedShape: [channels, pixels])
        }
    }

    /// One panel of `width` pixels: channel c at `source + c·sourceStride`, written to `target + c·targetStride`
    /// (which may be the source: each pixel is read before it is written).
    private func normalise(
        _ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>,
        sourceStride: Int, targetStride: Int, width: Int, scratch: inout PanelScratch
    ) {
        let channels = beta.count
        let (shifts, inverse) = (shifts, inverse)
        scratch.magnitudes.withUnsafeMutableBufferPointer { ms in
            scratch.norms.withUnsafeMutableBufferPointer { ns in
                let (magnitudes, norms) = (ms.baseAddress!, ns.baseAddress!)
                // Each thread takes a run of pixels through all three passes, so |x| and the norm it makes stay
                // in its own core's cache; the nested GEMM runs on that thread. Split by channels for the passes
                // (and by pixels for the GEMM), every hand-off crossed cores and the encoder's GDNs did not get
                // faster at two threads.
                Compute.parallelFor(width, minimumPerThread: 16) { pixels in
                    let count = pixels.count
                    for c in 0..<channels {
                        let (from, to) = (source + c * sourceStride + pixels.lowerBound, magnitudes + c * width + pixels.lowerBound)
                        for i in 0..<count { to[i] = Swift.abs(from[i]) }
                    }
                    gamma.withUnsafeBufferPointer { g in
                        Gemm.multiply(
                            m: channels, n: count, k: channels, a: g.baseAddress!, lda: channels,
                            b: magnitudes + pixels.lowerBound, ldb: width, c: norms + pixels.lowerBound, ldc: width,
                            beta: 0)
                    }
                    for c in 0..<channels {
                        let offset = pixels.lowerBound
                        let (from, to) = (source + c * sourceStride + offset, target + c * targetStride + offset)
                        let (norm, shift) = (norms + c * width + offset, shifts[c])
                        if inverse {
                            for i in 0..<count { to[i] = from[i] * (norm[i] + shift) }
                        } else {
                            // compressai takes the reciprocal, then multiplies; doing the same rounds as it does.
                            for i in 0..<count { to[i] = from[i] * (1 / (norm[i] + shift)) }
                        }
                    }
                }
            }
        }
    }
}
