/// The first frame of a ZeroMQ message on a socket that carries several message kinds; the protobuf
/// bytes follow in the next frame. Protobuf is not self-describing, so the tag says how to parse.
public enum MessageKind: String, Sendable, CaseIterable {
    case frame, latent, result, control

    public var tag: [UInt8] { Array(rawValue.utf8) }

    public init?(tag: [UInt8]) {
        guard let kind = MessageKind(rawValue: String(decoding: tag, as: UTF8.self)) else { return nil }
        self = kind
    }

    /// The largest serialised message of this kind a parser accepts; set the receiving socket's
    /// `maxMessageSize` above the largest kind it carries so oversized peers are cut off early.
    public var maximumSize: Int {
        switch self {
        case .frame: FrameMessage.maximumSize
        case .latent: LatentMessage.maximumSize
        case .result: ResultMessage.maximumSize
        case .control: ControlMessage.maximumSize
        }
    }
}
