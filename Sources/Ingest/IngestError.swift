import Shared

/// Ingest could not open or read its frame source; one line naming the problem.
public enum IngestError: Error, CustomStringConvertible {
    case noFrames(source: String)
    case invalidSource(String, reason: String)
    case readFailed(source: String, code: Int32)
    case camera(device: String, reason: String)

    public var description: String {
        switch self {
        case let .noFrames(source): return "no JPEG files found for '\(source)'"
        case let .invalidSource(source, reason): return "cannot read frames from '\(source)': \(reason)"
        case let .readFailed(source, code): return "reading \(source) failed (errno \(code))"
        case let .camera(device, reason): return "camera \(device): \(reason)"
        }
    }
}
