import Shared

/// A topology could not be read or one of its stages started; one line naming the problem.
public enum LaunchError: Error, CustomStringConvertible {
    case invalidTopology(path: String, reason: String)
    case cannotStart(stage: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidTopology(path, reason): return "topology \(path): \(reason)"
        case let .cannotStart(stage, reason): return "cannot start stage '\(stage)': \(reason)"
        }
    }
}
