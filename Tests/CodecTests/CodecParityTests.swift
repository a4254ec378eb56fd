import Foundation
import Shared
import TestSupport
import Testing

/// Our coder against compressai 1.2.8's `EntropyBottleneck.compress` / `decompress` on the fixtures
/// tools/make_codec_fixtures.py writes.
struct CodecParityTests {
    @Test func theFixturesAreThere() {
        #expect(CodecFixture.names.count >= 10, "codec fixtures: \(CodecFixture.names)")
    }

    @Test(arguments: CodecFixture.names)
    func compressYieldsCompressaisSymbolsAndBytes(_ name: String) throws {
        let fixture = try CodecFixture(name)
        #expect(try fixture.bottleneck.symbols(of: fixture.latent) == fixture.symbols, "\(name): symbols")
        let bytes = try fixture.bottleneck.compress(fixture.latent)
        #expect(bytes == fixture.bytes, "\(name): \(bytes.count) bytes vs compressai's \(fixture.bytes.count)")
    }

    @Test(arguments: CodecFixture.names)
    func decompressingCompressaisBytesGivesItsSymbolsAndValues(_ name: String) throws {
        let fixture = try CodecFixture(name)
        let symbols = try fixture.bottleneck.decodeSymbols(fixture.bytes, height: fixture.height, width: fixture.width)
        #expect(symbols == fixture.symbols, "\(name): decoded symbols")
        let latent = try fixture.bottleneck.decompress(fixture.bytes, height: fixture.height, width: fixture.width)
        expectClose(latent, fixture.decoded, atol: 0, rtol: 0, "\(name): dequantized latent")
    }

    @Test(arguments: [
        ("ordinary_c24_9x11", 1 as UInt64), ("untrained_c6_5x5", 2), ("bypass_c4_6x7", 3),
        ("ordinary_c3_13x6", 4),
    ])
    func randomLatentsRoundTrip(_ name: String, _ seed: UInt64) throws {
        let bottleneck = try CodecFixture(name).bottleneck
        var generator = SplitMix64(seed: seed)
        for trial in 0..<40 {
            let (height, width) = (Int.random(in: 0...17, using: &generator), Int.random(in: 1...19, using: &generator))
            var latent = laplacianLatent(channels: bottleneck.channels, height: height, width: width, using: &generator)
            // Some trials scatter values far outside the tables, of up to 30 bits.
            if trial % 3 == 0, latent.count > 0 {
                latent.withUnsafeMutableBufferPointer { values in
                    for _ in 0..<5 {
                        let magnitude = Float(1 << Int.random(in: 3...29, using: &generator))
                        values[Int.random(in: 0..<values.count, using: &generator)] =
                            Bool.random(using: &generator) ? magnitude : -magnitude
                    }
                }
            }
            let symbols = try bottleneck.symbols(of: latent)
            let bytes = try bottleneck.compress(latent)
            let decoded = try bottleneck.decodeSymbols(bytes, height: height, width: width)
            #expect(decoded == symbols, "\(name) trial \(trial) [\(height)x\(width)]")
            let latentBack = try bottleneck.decompress(bytes, height: height, width: width)
            let (values, medians) = (latent.scalars, bottleneck.medians)
            let plane = max(height * width, 1)
            let quantized = Tensor(
                shape: latent.shape,
                scalars: values.indices.map { i in
                    (values[i] - medians[i / plane]).rounded(.toNearestOrEven) + medians[i / plane]
                })
            expectClose(latentBack, quantized, atol: 0, rtol: 0, "\(name) trial \(trial): round(y - m) + m")
        }
    }

    /// compressai 1.2.8 corrupts its heap on this input (a 1-word buffer for the 2-word final state), so
    /// there is no reference stream: the stream is the encoder state after one symbol, and decodes back.
    @Test func oneElementThatIsNotEscapedRoundTripsInEightBytes() throws {
        let bottleneck = try CodecFixture("single_element_bypass").bottleneck
        let latent = Tensor(shape: [1, 1, 1, 1], scalars: [bottleneck.medians[0] + 0.2])
        let bytes = try bottleneck.compress(latent)
        #expect(bytes.count == 8)
        #expect(try bottleneck.decodeSymbols(bytes, height: 1, width: 1) == [0])
    }
}
