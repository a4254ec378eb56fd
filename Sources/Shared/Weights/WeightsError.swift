/// Why a weights or fixture file could not be used. Each description is one line naming the problem.
public enum WeightsError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case truncated(path: String, needed: Int, size: Int)
    case badHeader(path: String, reason: String)
    case missingTensor(key: String)
    case unexpectedTensors(keys: [String])
    case shapeMismatch(key: String, expected: [Int], actual: [Int])
    case dtypeMismatch(key: String, expected: String, actual: String)
    case badArchitecture(reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot open weights file \(path): \(reason)"
        case let .truncated(path, needed, size):
            return "weights file \(path) is truncated: needs \(needed) bytes, has \(size)"
        case let .badHeader(path, reason):
            return "weights file \(path) is not a safetensors file: \(reason)"
        case let .missingTensor(key):
            return "weights file lacks tensor '\(key)'"
        case let .unexpectedTensors(keys):
            let shown = keys.prefix(3).joined(separator: "', '")
            return "weights file has \(keys.count) tensor(s) the model does not use: '\(shown)'"
                + (keys.count > 3 ? ", ..." : "")
        case let .shapeMismatch(key, expected, actual):
            return "tensor '\(key)' has shape \(actual), expected \(expected)"
        case let .dtypeMismatch(key, expected, actual):
            return "tensor '\(key)' has dtype \(actual), expected \(expected)"
        case let .badArchitecture(reason):
            return "model architecture metadata is invalid: \(reason)"
        }
    }
}
