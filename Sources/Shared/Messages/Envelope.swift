/// One pipeline message as it crosses a ZeroMQ socket: two frames, `[kind tag][protobuf payload]`,
/// after the peer's route on a ROUTER socket. Protobuf is not self-describing, so the tag says how to
/// parse the payload. Every stage builds and parses its messages here: the frame count, the tag and
/// the payload's size limit are checked in one place, before any payload byte is parsed.
public struct Envelope: Sendable, Equatable {
    public let kind: MessageKind
    public let payload: [UInt8]

    public init(kind: MessageKind, payload: [UInt8]) {
        self.kind = kind
        self.payload = payload
    }

    /// Serialises `message` under its kind's tag.
    public init<Message: WireMessage>(_ message: Message) {
        self.init(kind: Message.kind, payload: message.serialized())
    }

    /// The ZeroMQ frames to send: the route first when sending from a ROUTER.
    public func frames(to route: [UInt8]? = nil) -> [[UInt8]] {
        (route.map { [$0] } ?? []) + [kind.tag, payload]
    }

    /// Bytes on the wire, tag included (what a shaped link carries).
    public var wireBytes: Int { kind.tag.count + payload.count }

    /// Parses `[kind][payload]`: exactly two frames, a known tag, a payload within that kind's limit.
    public init(frames: [[UInt8]]) throws(WireError) {
        guard frames.count == 2 else { throw .frameCount(expected: 2, actual: frames.count) }
        try self.init(tag: frames[0], payload: frames[1])
    }

    private init(tag: [UInt8], payload: [UInt8], checkingSize: Bool = true) throws(WireError) {
        guard let kind = MessageKind(tag: tag) else { throw .unknownKind(tagBytes: tag.count) }
        guard !checkingSize || payload.count <= kind.maximumSize else {
            throw .tooLarge(message: kind.messageName, size: payload.count, limit: kind.maximumSize)
        }
        self.init(kind: kind, payload: payload)
    }

    /// Parses `[route][kind][payload]` as a ROUTER receives it. `checkingSize: false` leaves the payload's
    /// size to the receiver (the broker answers an oversized latent, which spent a credit, with an error
    /// Result); every message's own parser still refuses more than its limit.
    public static func routed(_ frames: [[UInt8]], checkingSize: Bool = true) throws(WireError) -> (route: [UInt8], envelope: Envelope) {
        guard frames.count == 3 else { throw .frameCount(expected: 3, actual: frames.count) }
        return (frames[0], try Envelope(tag: frames[1], payload: frames[2], checkingSize: checkingSize))
    }

    /// The payload as `Message`; another kind is `unexpectedKind`.
    public func decode<Message: WireMessage>(_ type: Message.Type) throws(WireError) -> Message {
        guard kind == Message.kind else { throw .unexpectedKind(kind.rawValue, expected: Message.kind.rawValue) }
        return try Message(serialized: payload)
    }
}

/// A protobuf message of the pipeline, carried in an `Envelope` under `kind`.
public protocol WireMessage: Sendable {
    static var kind: MessageKind { get }
    /// Protobuf wire bytes.
    func serialized() -> [UInt8]
    /// Parses protobuf wire bytes; malformed or oversized input or a missing required field is a `WireError`.
    init(serialized bytes: [UInt8]) throws(WireError)
}

extension FrameMessage: WireMessage { public static var kind: MessageKind { .frame } }
extension LatentMessage: WireMessage { public static var kind: MessageKind { .latent } }
extension ResultMessage: WireMessage { public static var kind: MessageKind { .result } }
extension ControlMessage: WireMessage { public static var kind: MessageKind { .control } }
extension JobMessage: WireMessage { public static var kind: MessageKind { .job } }
extension AnswerMessage: WireMessage { public static var kind: MessageKind { .answer } }
