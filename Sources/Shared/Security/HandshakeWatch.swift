/// Counts the security handshakes that fail at a stage's CURVE server sockets, from libzmq's socket
/// monitor: a peer speaking another mechanism (a plaintext client at a CURVE socket) fails the protocol,
/// a key the ZAP handler refused fails authentication. Read on the stage's I/O thread, as its sockets are.
public final class HandshakeWatch {
    public struct Counts: Sendable, Equatable {
        /// Peers that did not complete the CURVE handshake: plaintext, another mechanism, garbage.
        public var protocolFailures = 0
        /// Peers whose key was refused.
        public var authenticationFailures = 0
    }

    public private(set) var counts = Counts()
    private var monitors: [(name: String, monitor: SocketMonitor)] = []
    private let log = Logger(label: "ladon.handshakes")

    public init() {}

    /// Watches `socket` (call before it binds, so no handshake is missed).
    public func watch(_ socket: Socket, name: String) throws(TransportError) {
        monitors.append((name, try socket.monitor([.handshakeFailedNoDetail, .handshakeFailedProtocol, .handshakeFailedAuth])))
    }

    /// Stops watching the socket named `name` (before that socket closes).
    public func forget(_ name: String) {
        for entry in monitors where entry.name == name { entry.monitor.close() }
        monitors.removeAll { $0.name == name }
    }

    /// Takes in what the monitors reported since the last call.
    public func poll() throws(TransportError) {
        for (name, monitor) in monitors {
            while let event = try monitor.next() {
                if event.kind == .handshakeFailedAuth {
                    counts.authenticationFailures += 1
                } else {
                    counts.protocolFailures += 1
                    let total = counts.protocolFailures
                    if total == 1 || total % 100 == 0 {
                        log.warning("a peer failed the CURVE handshake (plaintext or another mechanism)", ["socket": name, "so_far": total])
                    }
                }
            }
        }
    }

    public func close() {
        for (_, monitor) in monitors { monitor.close() }
        monitors.removeAll()
    }
}
