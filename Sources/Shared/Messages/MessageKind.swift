/// The first frame of an `Envelope`: which protobuf message the payload frame holds.
public enum MessageKind: String, Sendable, CaseIterable {
    case frame, latent, result, control, job, answer

    public var tag: [UInt8] { Array(rawValue.utf8) }

    public init?(tag: [UInt8]) {
        guard tag.count <= 16, let kind = MessageKind(rawValue: String(decoding: tag, as: UTF8.self)) else { return nil }
        self = kind
    }

    /// The largest payload of this kind a parser accepts; set a receiving socket's `maxMessageSize`
    /// (`SocketLimits`) above the largest kind it carries so oversized peers are cut off early.
    public var maximumSize: Int {
        switch self {
        case .frame: FrameMessage.maximumSize
        case .latent: LatentMessage.maximumSize
        case .result: ResultMessage.maximumSize
        case .control: ControlMessage.maximumSize
        case .job: JobMessage.maximumSize
        case .answer: AnswerMessage.maximumSize
        }
    }

    /// The proto message's name, as errors say it.
    public var messageName: String {
        switch self {
        case .frame: "Frame"
        case .latent: "Latent"
        case .result: "Result"
        case .control: "Control"
        case .job: "Job"
        case .answer: "Answer"
        }
    }

    /// ZMQ_MAXMSGSIZE for a socket carrying `kinds`: libzmq checks each frame of a message and the payload
    /// is the largest, so this cuts off a peer sending more before a byte of it is parsed.
    public static func receiveLimit(_ kinds: MessageKind...) -> Int {
        (kinds.map(\.maximumSize).max() ?? 0) + 4096
    }
}
