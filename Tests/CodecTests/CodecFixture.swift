import Foundation
import Shared
import TestSupport

/// One case written by tools/make_codec_fixtures.py: compressai's tables, a latent and what compressai
/// made of it.
struct CodecFixture {
    let name: String
    let bottleneck: EntropyBottleneck
    let latent: Tensor
    let symbols: [Int32]
    let bytes: [UInt8]
    let decoded: Tensor
    var height: Int { latent.dim(2) }
    var width: Int { latent.dim(3) }

    static let names = Fixtures.cases(in: "codec")

    init(_ name: String) throws {
        let (file, _) = try Fixtures.open("codec", name)
        self.name = name
        bottleneck = try EntropyBottleneck(
            medians: try file.tensor("medians").scalars, quantizedCDF: try file.int32s("quantized_cdf"),
            cdfLength: try file.int32s("cdf_length"), offset: try file.int32s("offset"))
        latent = try file.tensor("latent")
        symbols = try file.int32s("symbols")
        bytes = try file.uint8s("bytes")
        decoded = try file.tensor("decoded")
    }
}

/// Laplacian samples with per-channel scales and centres, like a trained bottleneck's latent.
func laplacianLatent(channels: Int, height: Int, width: Int, using generator: inout SplitMix64) -> Tensor {
    let scales = (0..<channels).map { _ in Float.random(in: 0.05...3, using: &generator) }
    let centres = (0..<channels).map { _ in Float.random(in: -0.5...0.5, using: &generator) }
    let plane = height * width
    let values = (0..<channels * plane).map { i -> Float in
        let u = Float.random(in: -0.5..<0.5, using: &generator)
        let magnitude = -log1p(-2 * abs(u))
        return (u < 0 ? -magnitude : magnitude) * scales[i / plane] + centres[i / plane]
    }
    return Tensor(shape: [1, channels, height, width], scalars: values)
}
