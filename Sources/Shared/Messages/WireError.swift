/// Why bytes from another process could not be used. Each description is one line naming the problem.
public enum WireError: Error, Equatable, CustomStringConvertible {
    case malformed(message: String, size: Int)
    case missingField(message: String, field: String)
    case invalidField(message: String, field: String, reason: String)
    case tooLarge(message: String, size: Int, limit: Int)

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
        }
    }
}
