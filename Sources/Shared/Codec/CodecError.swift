/// Why a latent could not be entropy-coded or a coded latent could not be decoded. Each description is
/// one line naming the problem.
public enum CodecError: Error, Equatable, CustomStringConvertible {
    /// The entropy tables themselves are unusable (a bad model file, not a bad stream).
    case badTable(channel: Int, reason: String)
    /// A latent or a requested output shape does not fit the tables.
    case shapeMismatch(expected: String, actual: [Int])
    /// A latent value is not finite, or too far from its median to be coded (|symbol| ≳ 2^30).
    case valueOutOfRange(channel: Int, value: Float)
    /// The stream ended before every symbol was decoded.
    case truncated(size: Int, symbolsDecoded: Int, symbolsExpected: Int)
    /// The stream length is not a whole number of 32-bit words, or shorter than the 8-byte final state.
    case badLength(size: Int)
    /// An escape-coded value does not fit in 32 bits: no encoder writes that.
    case symbolOutOfRange(index: Int)
    /// Every symbol was decoded but words are left over.
    case trailingBytes(count: Int)
    /// Every symbol was decoded but the coder did not return to its initial state: the bytes were altered.
    case corruptStream(size: Int)

    public var description: String {
        switch self {
        case let .badTable(channel, reason):
            return "entropy table for channel \(channel) is invalid: \(reason)"
        case let .shapeMismatch(expected, actual):
            return "latent shape \(actual) does not match the entropy model (expected \(expected))"
        case let .valueOutOfRange(channel, value):
            return "latent value \(value) in channel \(channel) cannot be entropy-coded"
        case let .truncated(size, decoded, expected):
            return "coded latent (\(size) bytes) ends after \(decoded) of \(expected) symbols"
        case let .badLength(size):
            return "coded latent has \(size) bytes: not a whole number of 32-bit words of at least 8 bytes"
        case let .symbolOutOfRange(index):
            return "coded latent symbol \(index) escapes to a value beyond 32 bits"
        case let .trailingBytes(count):
            return "coded latent has \(count) bytes after its last symbol"
        case let .corruptStream(size):
            return "coded latent (\(size) bytes) is corrupt: the decoder did not end in its initial state"
        }
    }
}
