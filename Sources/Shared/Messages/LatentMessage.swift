/// The model a latent was made with (proto `ModelIdentity`).
public struct ModelIdentity: Sendable, Equatable, CustomStringConvertible {
    public var backbone: String
    public var beta: Double
    public var weightsHash: UInt64

    public init(backbone: String, beta: Double, weightsHash: UInt64) {
        self.backbone = backbone
        self.beta = beta
        self.weightsHash = weightsHash
    }

    public var description: String {
        "\(backbone) beta=\(beta) weights=\(String(weightsHash, radix: 16))"
    }
}

/// One frame's entropy-coded latent and what the edge needs to interpret it (proto `Latent`).
public struct LatentMessage: Sendable, Equatable {
    /// Parsers refuse larger input: a latent of a large frame at the lowest rate is tens of kilobytes.
    public static let maximumSize = 8 << 20

    public var header: FrameHeader
    public var model: ModelIdentity
    public var originalSize: ImageSize
    public var inputSize: ImageSize
    public var resizedSize: ImageSize
    /// Channels, height, width.
    public var latentShape: [Int]
    public var coded: [UInt8]

    public init(
        header: FrameHeader, model: ModelIdentity, originalSize: ImageSize, inputSize: ImageSize, resizedSize: ImageSize,
        latentShape: [Int], coded: [UInt8]
    ) {
        self.header = header
        self.model = model
        self.originalSize = originalSize
        self.inputSize = inputSize
        self.resizedSize = resizedSize
        self.latentShape = latentShape
        self.coded = coded
    }
}
