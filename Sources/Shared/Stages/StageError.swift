/// A stage could not start or go on; one line naming the problem.
public enum StageError: Error, CustomStringConvertible {
    case noFrames(source: String)
    case invalidSource(String, reason: String)
    case readFailed(source: String, code: Int32)
    case camera(device: String, reason: String)
    case invalidTopology(path: String, reason: String)
    case cannotStart(stage: String, reason: String)

    public var description: String {
        switch self {
        case let .noFrames(source): return "no JPEG files found for '\(source)'"
        case let .invalidSource(source, reason): return "cannot read frames from '\(source)': \(reason)"
        case let .readFailed(source, code): return "reading \(source) failed (errno \(code))"
        case let .camera(device, reason): return "camera \(device): \(reason)"
        case let .invalidTopology(path, reason): return "topology \(path): \(reason)"
        case let .cannotStart(stage, reason): return "cannot start stage '\(stage)': \(reason)"
        }
    }
}
