import Foundation
import Shared
import TestSupport
import Testing

/// Hostile bytes: the decoder either decodes or throws a CodecError, never crashes or reads out of
/// bounds. Seeded, so a failure reproduces.
struct CodecFuzzTests {
    enum Mutation: CaseIterable { case flipBits, overwriteBytes, truncate, extend, garbage, splice, wrongShape }

    @Test func aHundredThousandMutatedStreamsDecodeOrThrowCodecError() throws {
        var generator = SplitMix64(seed: 0x1ad0_c0de)
        var bases: [(bottleneck: EntropyBottleneck, bytes: [UInt8], height: Int, width: Int)] = []
        for name in CodecFixture.names {
            let fixture = try CodecFixture(name)
            bases.append((fixture.bottleneck, fixture.bytes, fixture.height, fixture.width))
        }
        // Larger streams with escapes, so mutations land in long escape runs too.
        for name in ["ordinary_c24_9x11", "bypass_c4_6x7"] {
            let bottleneck = try CodecFixture(name).bottleneck
            var latent = laplacianLatent(channels: bottleneck.channels, height: 8, width: 9, using: &generator)
            latent.withUnsafeMutableBufferPointer { values in
                for i in Swift.stride(from: 0, to: values.count, by: 11) { values[i] *= 3000 }
            }
            bases.append((bottleneck, try bottleneck.compress(latent), 8, 9))
        }
        var outcomes: [String: Int] = [:]
        var decodedCount = 0
        let trials = 100_000
        for trial in 0..<trials {
            let base = bases[trial % bases.count]
            var bytes = base.bytes
            var (height, width) = (base.height, base.width)
            let mutation = Mutation.allCases.randomElement(using: &generator) ?? .garbage
            switch mutation {
            case .flipBits:
                for _ in 0...Int.random(in: 0...3, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] ^= 1 << UInt8.random(in: 0...7, using: &generator)
                }
            case .overwriteBytes:
                for _ in 0...Int.random(in: 0...3, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            case .truncate:
                bytes.removeLast(Int.random(in: 1...bytes.count, using: &generator))
            case .extend:
                bytes += (0..<Int.random(in: 1...12, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            case .garbage:
                bytes = (0..<4 * Int.random(in: 0...40, using: &generator)).map { _ in
                    // Mostly 0xFF and 0x00 runs as well as noise: long escapes and long zero states.
                    switch Int.random(in: 0..<3, using: &generator) {
                    case 0: 0xFF
                    case 1: 0x00
                    default: UInt8.random(in: 0...255, using: &generator)
                    }
                }
            case .splice:
                let other = bases.randomElement(using: &generator)?.bytes ?? []
                let cut = 4 * Int.random(in: 0...bytes.count / 4, using: &generator)
                bytes = Array(bytes.prefix(cut)) + other.suffix(other.count - min(other.count, cut))
            case .wrongShape:
                height = Int.random(in: 0...12, using: &generator)
                width = Int.random(in: 0...12, using: &generator)
            }
            do {
                let symbols = try base.bottleneck.decodeSymbols(bytes, height: height, width: width)
                // Whatever decodes is a valid latent: it codes again and decodes to itself.
                let again = try base.bottleneck.encode(symbols: symbols)
                #expect(
                    try base.bottleneck.decodeSymbols(again, height: height, width: width) == symbols,
                    "trial \(trial): re-coded symbols differ")
                decodedCount += 1
            } catch {
                outcomes[Self.kind(error), default: 0] += 1
            }
        }
        // Every kind of stream error shows up; and some mutations (e.g. wrong shapes that fit) still decode.
        for kind in ["badLength", "truncated", "trailingBytes", "corruptStream", "symbolOutOfRange"] {
            #expect((outcomes[kind] ?? 0) > 0, "no \(kind) among \(outcomes)")
        }
        #expect(decodedCount > 0)
    }

    static func kind(_ error: CodecError) -> String {
        switch error {
        case .badTable: "badTable"
        case .shapeMismatch: "shapeMismatch"
        case .valueOutOfRange: "valueOutOfRange"
        case .truncated: "truncated"
        case .badLength: "badLength"
        case .symbolOutOfRange: "symbolOutOfRange"
        case .trailingBytes: "trailingBytes"
        case .corruptStream: "corruptStream"
        }
    }
}
