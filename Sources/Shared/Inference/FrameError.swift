/// Why one frame could not be processed, by the domain that refused it. Stages catch it at the frame
/// boundary, count it, log its one-line description and go on with the next frame.
public enum FrameError: Error, CustomStringConvertible {
    case image(ImageError)
    case codec(CodecError)
    case wire(WireError)
    case detection(DetectionError)
    case inference(InferenceError)

    public var description: String {
        switch self {
        case let .image(error): return "image: \(error)"
        case let .codec(error): return "latent: \(error)"
        case let .wire(error): return "message: \(error)"
        case let .detection(error): return "detection: \(error)"
        case let .inference(error): return "\(error)"
        }
    }
}
