import Shared

/// Why a frame could not be annotated. Each description is one line naming the problem.
public enum AnnotationError: Error, Equatable, CustomStringConvertible {
    /// The image is not the frame the result describes (another file under the same name, a resized copy).
    case sizeMismatch(image: ImageSize, result: ImageSize)
    /// Only grey and RGB images can be drawn on.
    case unsupportedChannels(Int)
    /// A source name that is not a plain file name (it came over the wire, so it may not leave the folder).
    case badSourceName(String)
    /// The frame file is missing or unreadable (the file error's own line).
    case unreadableFrame(reason: String)
    case undecodableFrame(path: String, ImageError)
    case cannotEncode(ImageError)
    /// A saved result file that is not a result document (or its label map does not fit it).
    case badResultFile(path: String, reason: String)
    /// A Result whose frame size cannot be drawn (empty, or larger than any map a Result may carry).
    case unusableFrameSize(ImageSize)

    public var description: String {
        switch self {
        case let .sizeMismatch(image, result):
            return "image is \(image.width)x\(image.height) but the result describes a \(result.width)x\(result.height) frame"
        case let .unsupportedChannels(channels):
            return "cannot annotate a \(channels)-channel image (grey or RGB only)"
        case let .badSourceName(name):
            return "source name '\(name)' is not a plain file name"
        case let .unreadableFrame(reason):
            return reason
        case let .undecodableFrame(path, error):
            return "cannot decode frame \(path): \(error)"
        case let .cannotEncode(error):
            return "cannot encode the annotated frame: \(error)"
        case let .badResultFile(path, reason):
            return "\(path) is not a usable result file: \(reason)"
        case let .unusableFrameSize(size):
            return "cannot draw a \(size.width)x\(size.height) frame"
        }
    }
}
