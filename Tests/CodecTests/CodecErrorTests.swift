import Foundation
import Shared
import TestSupport
import Testing

/// Bad tables, bad latents and bad streams end in the CodecError that names them.
struct CodecErrorTests {
    static func fixture() throws -> CodecFixture { try CodecFixture("ordinary_c24_9x11") }

    @Test func aStreamOfSevenOrNineBytesIsABadLength() throws {
        let fixture = try Self.fixture()
        for size in [0, 4, 7, 9] {
            #expect(throws: CodecError.badLength(size: size)) {
                try fixture.bottleneck.decodeSymbols(
                    Array(fixture.bytes.prefix(size)) + [UInt8](repeating: 0, count: max(0, size - fixture.bytes.count)),
                    height: fixture.height, width: fixture.width)
            }
        }
    }

    @Test func aStreamMissingItsLastWordIsTruncated() throws {
        let fixture = try Self.fixture()
        let error = #expect(throws: CodecError.self) {
            try fixture.bottleneck.decodeSymbols(Array(fixture.bytes.dropLast(4)), height: fixture.height, width: fixture.width)
        }
        guard case .truncated(let size, let decoded, let expected)? = error else {
            Issue.record("expected truncated, got \(String(describing: error))")
            return
        }
        #expect(size == fixture.bytes.count - 4 && decoded < expected && expected == fixture.symbols.count)
    }

    @Test func aWordAfterTheLastSymbolIsTrailingBytes() throws {
        let fixture = try Self.fixture()
        #expect(throws: CodecError.trailingBytes(count: 4)) {
            try fixture.bottleneck.decodeSymbols(fixture.bytes + [1, 2, 3, 4], height: fixture.height, width: fixture.width)
        }
    }

    /// rANS decoding of a valid stream ends in the encoder's initial state; a flipped bit in the last word
    /// (read last) leaves a different state, or asks for a word that is not there.
    @Test func aFlippedBitInTheLastWordIsCaught() throws {
        let fixture = try Self.fixture()
        var kinds: [String] = []
        for bit in 0..<32 {
            var bytes = fixture.bytes
            bytes[bytes.count - 4 + bit / 8] ^= 1 << UInt8(bit % 8)
            do {
                _ = try fixture.bottleneck.decodeSymbols(bytes, height: fixture.height, width: fixture.width)
                Issue.record("bit \(bit) flipped decoded")
            } catch {
                kinds.append(CodecFuzzTests.kind(error))
            }
        }
        #expect(kinds.contains("corruptStream"), "\(kinds)")
    }

    @Test func aLatentWithTheWrongChannelCountIsAShapeMismatch() throws {
        let fixture = try Self.fixture()
        let latent = Tensor(zeros: [1, fixture.bottleneck.channels + 1, 2, 2])
        #expect(throws: CodecError.shapeMismatch(expected: "[1, 24, h, w]", actual: [1, 25, 2, 2])) {
            try fixture.bottleneck.compress(latent)
        }
        #expect(throws: CodecError.self) { try fixture.bottleneck.decodeSymbols(fixture.bytes, height: -1, width: 3) }
    }

    @Test(arguments: [Float.nan, .infinity, -.infinity, 3e9, -2e9])
    func aValueThatCannotBeCodedIsOutOfRange(_ value: Float) throws {
        let fixture = try Self.fixture()
        var latent = fixture.latent
        latent.withUnsafeMutableBufferPointer { $0[fixture.latent.count - 1] = value }
        let error = #expect(throws: CodecError.self) { try fixture.bottleneck.compress(latent) }
        guard case .valueOutOfRange(23, let reported)? = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(reported.bitPattern == value.bitPattern)
    }

    @Test func tablesThatAreNotCDFsAreRejected() throws {
        let medians: [Float] = [0, 0]
        let good: [Int32] = [0, 100, 65536, 0, 0, 30000, 65536, 65536]
        #expect(throws: Never.self) {
            try EntropyBottleneck(medians: medians, quantizedCDF: good, cdfLength: [3, 3], offset: [-1, -1])
        }
        let cases: [([Int32], [Int32], [Int32])] = [
            ([0, 100, 65536, 0, 0, 30000, 30000, 65536], [3, 4], [0, 0]),  // not strictly increasing
            ([0, 100, 65535, 0, 0, 30000, 65536, 65536], [3, 3], [0, 0]),  // does not end at 2^16
            ([0, 100, 65536, 0, 0, 30000, 65536, 65536], [3, 5], [0, 0]),  // longer than the row
            ([0, 100, 65536, 0, 0, 30000, 65536, 65536], [3, 1], [0, 0]),  // shorter than 2
            ([0, 100, 65536, 0, 0, 30000, 65536], [3, 3], [0, 0]),  // not [channels, L]
            ([0, 100, 65536, 0, 0, 30000, 65536, 65536], [3, 3], [0]),  // offsets missing
        ]
        for (cdf, lengths, offsets) in cases {
            #expect(throws: CodecError.self) {
                try EntropyBottleneck(medians: medians, quantizedCDF: cdf, cdfLength: lengths, offset: offsets)
            }
        }
    }

    @Test func descriptionsAreOneLine() {
        let errors: [CodecError] = [
            .badTable(channel: 1, reason: "x"), .shapeMismatch(expected: "[1, 24, h, w]", actual: [1]),
            .valueOutOfRange(channel: 0, value: .nan), .truncated(size: 8, symbolsDecoded: 1, symbolsExpected: 2),
            .badLength(size: 7), .symbolOutOfRange(index: 3), .trailingBytes(count: 4), .corruptStream(size: 8),
        ]
        for error in errors { #expect(!error.description.contains("\n") && !error.description.isEmpty) }
    }
}
