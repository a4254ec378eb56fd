import Shared

/// Why an evaluation could not run. Each description is one line naming the file or value at fault.
public enum EvaluationError: Error, Equatable, CustomStringConvertible {
    case badAnnotations(path: String, reason: String)
    case badMask(path: String, reason: String)
    case badResult(path: String, reason: String)
    case sizeMismatch(image: String, mask: ImageSize, prediction: ImageSize)

    public var description: String {
        switch self {
        case let .badAnnotations(path, reason): return "annotations \(path): \(reason)"
        case let .badMask(path, reason): return "mask \(path): \(reason)"
        case let .badResult(path, reason): return "result \(path): \(reason)"
        case let .sizeMismatch(image, mask, prediction):
            return "\(image): ground-truth mask is \(mask.width)x\(mask.height) but the predicted map is \(prediction.width)x\(prediction.height)"
        }
    }
}
