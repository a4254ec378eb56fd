/// The ZeroMQ socket patterns the pipeline uses.
public enum SocketKind: String, Sendable, CaseIterable {
    case pair, publisher, subscriber, request, reply, dealer, router, pull, push
}

/// Socket options we set; each maps to one `zmq_setsockopt` call.
public enum SocketOption: Sendable, Equatable {
    /// How long `close()` keeps unsent messages (ZMQ_LINGER): 0 drops them, -1 waits forever.
    case linger(milliseconds: Int)
    /// Peers sending a larger message are disconnected (ZMQ_MAXMSGSIZE); -1 is unlimited.
    case maxMessageSize(bytes: Int)
    /// Messages queued per peer before sends block or drop (ZMQ_SNDHWM / ZMQ_RCVHWM); 0 is unlimited.
    case sendHighWaterMark(messages: Int)
    case receiveHighWaterMark(messages: Int)
    /// The identity a ROUTER peer sees for this socket (ZMQ_ROUTING_ID), 1...255 bytes, not starting with 0.
    case routingID([UInt8])
    /// Queue messages only to completed connections (ZMQ_IMMEDIATE).
    case immediate(Bool)
    /// A ROUTER send to an unknown peer fails with EHOSTUNREACH instead of vanishing (ZMQ_ROUTER_MANDATORY).
    case routerMandatory(Bool)
    /// A new peer with a taken routing id replaces the old connection (ZMQ_ROUTER_HANDOVER): a restarted node.
    case routerHandover(Bool)
    /// SUB: receive messages whose first frame starts with the prefix (ZMQ_SUBSCRIBE / ZMQ_UNSUBSCRIBE).
    case subscribe(prefix: [UInt8])
    case unsubscribe(prefix: [UInt8])
}

/// What a poll waits for, and what it found.
public struct PollEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// A whole message can be received without blocking.
    public static let readable = PollEvents(rawValue: 1)
    /// A message can be sent without blocking.
    public static let writable = PollEvents(rawValue: 2)
}
