/// Why a latent could not be turned into results. Each description is one line naming the problem.
public enum InferenceError: Error, Equatable, CustomStringConvertible {
    case modelMismatch(latent: ModelIdentity, edge: ModelIdentity)
    case latentShape(found: [Int], expected: [Int])
    case implausibleSize(what: String, size: ImageSize)

    public var description: String {
        switch self {
        case let .modelMismatch(latent, edge):
            return "latent was made by model \(latent), this edge runs \(edge)"
        case let .latentShape(found, expected):
            return "latent shape \(found) does not fit this model and input size (expected \(expected))"
        case let .implausibleSize(what, size):
            return "\(what) \(size.height)x\(size.width) is implausible"
        }
    }
}
