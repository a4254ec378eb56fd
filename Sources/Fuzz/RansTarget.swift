import Shared

/// Target `rans`: the edge's entropy decoding of a Latent's coded bytes (`EntropyBottleneck.decompress`)
/// with the tiny model's tables. The first byte gives the latent's height and width (1 + its low and
/// high nibble, so up to 16x16), the rest are the coded bytes.
///
/// Invariants: a decoded latent has the requested shape and finite values, and its symbols code again
/// into a stream that decodes to the same symbols.
enum RansTarget {
    static func run(_ bytes: [UInt8]) -> FuzzOutcome {
        guard let size = bytes.first else { return .refused("empty input") }
        let (height, width) = (1 + Int(size & 0x0F), 1 + Int(size >> 4))
        let coded = Array(bytes.dropFirst())
        let coder = FuzzFixtures.coder
        do throws(CodecError) {
            let symbols = try coder.decodeSymbols(coded, height: height, width: width)
            let latent = coder.dequantize(symbols, height: height, width: width)
            check(latent.shape == [1, coder.channels, height, width], "decoded latent \(latent.shape)")
            check(latent.scalars.allSatisfy(\.isFinite), "decoded latent holds a non-finite value")
            let again = try coder.encode(symbols: symbols)
            let decodedAgain = try coder.decodeSymbols(again, height: height, width: width)
            check(decodedAgain == symbols, "re-coded symbols decode differently")
            return .accepted
        } catch {
            return refusal(error)
        }
    }
}
