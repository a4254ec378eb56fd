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
    /// Send an empty message first when a pipe attaches (ZMQ_PROBE_ROUTER, DEALER to ROUTER). A connecting
    /// socket keeps its pipe across reconnections unless `immediate` is on: with both, the ROUTER learns
    /// of every (re)connection, in order with the messages that follow it.
    case probeRouter(Bool)
    /// SUB: receive messages whose first frame starts with the prefix (ZMQ_SUBSCRIBE / ZMQ_UNSUBSCRIBE).
    case subscribe(prefix: [UInt8])
    case unsubscribe(prefix: [UInt8])
    /// CurveZMQ server side (ZMQ_CURVE_SERVER with this socket's secret key): every peer must handshake
    /// with CURVE, and the ZAP handler decides which client keys are let in.
    case curveServer(secretKey: CurveKey)
    /// CurveZMQ client side: this socket's key pair and the public key of the server it connects to.
    case curveClient(publicKey: CurveKey, secretKey: CurveKey, serverKey: CurveKey)
    /// The ZAP domain this socket's connections are authenticated in (ZMQ_ZAP_DOMAIN); the ZAP handler
    /// keeps one allow-list per domain.
    case zapDomain(String)
}

extension SocketOption: CustomStringConvertible {
    /// Names the option without ever printing key material.
    public var description: String {
        switch self {
        case .curveServer: "curveServer"
        case .curveClient: "curveClient"
        case let .zapDomain(domain): "zapDomain(\(domain))"
        default: Mirror(reflecting: self).children.first?.label ?? "option"
        }
    }
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

/// Connection events a socket monitor reports (libzmq's ZMQ_EVENT_* subset the pipeline watches).
public struct SocketEvents: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// A connect call reached its peer (ZMQ_EVENT_CONNECTED); after a disconnect this is a reconnection.
    public static let connected = SocketEvents(rawValue: 0x0001)
    /// A bound socket accepted a peer (ZMQ_EVENT_ACCEPTED).
    public static let accepted = SocketEvents(rawValue: 0x0020)
    /// A connection ended: the peer went away or libzmq dropped it (ZMQ_EVENT_DISCONNECTED).
    public static let disconnected = SocketEvents(rawValue: 0x0200)
    /// The security handshake failed before authentication (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, and
    /// _PROTOCOL: another mechanism, such as a plaintext peer at a CURVE socket, or a malformed handshake).
    public static let handshakeFailedNoDetail = SocketEvents(rawValue: 0x0800)
    public static let handshakeFailedProtocol = SocketEvents(rawValue: 0x2000)
    /// The ZAP handler refused the peer (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH).
    public static let handshakeFailedAuth = SocketEvents(rawValue: 0x4000)
    /// The handshake and authentication succeeded (ZMQ_EVENT_HANDSHAKE_SUCCEEDED).
    public static let handshakeSucceeded = SocketEvents(rawValue: 0x1000)
}

/// One event from a socket monitor: what happened and on which endpoint.
public struct SocketEvent: Sendable, Equatable {
    public let kind: SocketEvents
    public let endpoint: String

    public init(kind: SocketEvents, endpoint: String) {
        self.kind = kind
        self.endpoint = endpoint
    }
}
