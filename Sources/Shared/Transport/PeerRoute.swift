/// Routing ids the pipeline's DEALERs present to the broker's ROUTER sockets: `<peer id>#<token>`,
/// the token random per process. Reconnections of one process keep its route, so ZMQ_ROUTER_HANDOVER
/// still moves the route to the new connection; two processes that claim one id keep two routes, so
/// the broker hears both and can tell a duplicate id from a restart (with the bare id as routing id,
/// libzmq hands the id to the newer connection and the older process is silently no longer heard).
public enum PeerRoute {
    /// Fixed for the life of this process.
    public static let processToken = UInt64.random(in: 1 ... .max)

    /// Peer ids are at most this many UTF-8 bytes (ZeroMQ routing ids hold 255, the token takes 17).
    public static let maximumPeerIDBytes = 200

    public static func routingID(for peerID: String, token: UInt64 = processToken) -> [UInt8] {
        Array("\(peerID)#\(String(token, radix: 16))".utf8)
    }

    /// The peer id a route names: the text before its last `#`, or the whole route when it has none.
    public static func peerID(of route: String) -> String {
        guard let separator = route.lastIndex(of: "#") else { return route }
        return String(route[..<separator])
    }

    /// Whether `peerID` can name a node or worker: 1 to `maximumPeerIDBytes` UTF-8 bytes, no whitespace or
    /// control characters, and no `/` (node ids become topic prefixes, `<node>/<task>`).
    public static func isValid(_ peerID: String) -> Bool {
        !peerID.isEmpty && peerID.utf8.count <= maximumPeerIDBytes && !peerID.contains("/")
            && !peerID.unicodeScalars.contains { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }
    }

    public static let validityRule = "an id of 1 to \(maximumPeerIDBytes) bytes without '/', whitespace or control characters"
}
