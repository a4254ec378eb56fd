/// Why bytes from another process could not be used. Each description is one line naming the problem.
public enum WireError: Error, Equatable, CustomStringConvertible {
    case malformed(message: String, size: Int)
    case missingField(message: String, field: String)
    case invalidField(message: String, field: String, reason: String)
    case tooLarge(message: String, size: Int, limit: Int)
    /// Parsing would allocate more than `budget` bytes: a message of many empty repeated entries.
    case decodingBudget(message: String, size: Int, budget: Int)
    /// A ZeroMQ message with another number of frames than its socket carries.
    case frameCount(expected: Int, actual: Int)
    /// The first frame is not a kind tag.
    case unknownKind(tagBytes: Int)
    /// A known kind this socket does not carry (a latent on the sink's socket).
    case unexpectedKind(String, expected: String)

    public var description: String {
        switch self {
        case let .malformed(message, size):
            return "malformed \(message) message (\(size) bytes): not valid protobuf"
        case let .missingField(message, field):
            return "\(message) message lacks required field '\(field)'"
        case let .invalidField(message, field, reason):
            return "\(message) message field '\(field)' is invalid: \(reason)"
        case let .tooLarge(message, size, limit):
            return "\(message) message of \(size) bytes is over the \(limit)-byte limit"
        case let .decodingBudget(message, size, budget):
            return "\(message) message of \(size) bytes would take more than \(budget) bytes of memory to parse"
        case let .frameCount(expected, actual):
            return "expected a message of \(expected) frames, got \(actual)"
        case let .unknownKind(tagBytes):
            return "the first frame (\(tagBytes) bytes) is not a message kind"
        case let .unexpectedKind(kind, expected):
            return "a \(kind) message where \(expected) was expected"
        }
    }

    /// A short name of the reason, for counters (`malformed`, `too_large`, ...).
    public var reason: String {
        switch self {
        case .malformed: "malformed"
        case .missingField, .invalidField: "invalid_field"
        case .tooLarge, .decodingBudget: "too_large"
        case .frameCount: "frame_count"
        case .unknownKind: "unknown_kind"
        case .unexpectedKind: "unexpected_kind"
        }
    }
}
