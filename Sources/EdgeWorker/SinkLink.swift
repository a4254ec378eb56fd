import Shared

/// The broker's PUSH to the sink. Results wait in a bounded outbox in front of libzmq's own queue, so
/// a sink that is down (restarting) neither blocks the broker nor grows its memory without bound: past
/// `capacity` the oldest waiting Result is dropped and counted. A monitor on the socket logs and counts
/// the sink going away and coming back. Results the old sink process had received but not yet read when
/// it died are lost with it; nothing else is.
final class SinkLink {
    /// Results dropped because the outbox was full (the sink was away for long).
    private(set) var dropped = 0
    /// Times the connection to the sink ended (a sink restart counts once).
    private(set) var disconnects = 0

    private let socket: Socket
    private let monitor: SocketMonitor
    private let capacity: Int
    private var outbox: [[[UInt8]]] = []
    private var outboxStart = 0
    private let log = Logger(label: "ladon-edge.serve")

    /// In CURVE mode the link accepts only a sink holding `serverKey`.
    init(
        _ context: Context, endpoint: String, capacity: Int = 1_000, security: StageSecurity = .local, serverKey: CurveKey? = nil
    ) throws(TransportError) {
        self.capacity = capacity
        socket = try context.socket(.push, lingerMilliseconds: 2_000)
        do throws(TransportError) {
            try security.secureClient(socket, serverKey: serverKey)
            monitor = try socket.monitor([.connected, .disconnected])
            try socket.connect(endpoint)
        } catch {
            socket.close()
            throw error
        }
    }

    var waiting: Int { outbox.count - outboxStart }

    func enqueue(_ message: [[UInt8]]) {
        if waiting >= capacity {
            outboxStart += 1
            dropped += 1
            if dropped == 1 || dropped % 100 == 0 {
                log.warning("sink outbox full; dropping the oldest result", ["dropped": dropped, "capacity": capacity])
            }
        }
        outbox.append(message)
    }

    /// Hands waiting Results to libzmq while it takes them, and logs connection changes.
    func flush() throws(TransportError) {
        while let event = try monitor.next() {
            if event.kind.contains(.disconnected) {
                disconnects += 1
                log.warning("sink connection lost; results wait for it", ["sink": event.endpoint, "disconnects": disconnects])
            } else if event.kind.contains(.connected) {
                log.info("sink connected", ["sink": event.endpoint, "waiting": waiting])
            }
        }
        while outboxStart < outbox.count, try socket.trySend(outbox[outboxStart]) { outboxStart += 1 }
        if outboxStart > 256 && outboxStart * 2 > outbox.count {
            outbox.removeFirst(outboxStart)
            outboxStart = 0
        }
    }

    /// Flushes for up to `seconds`, then closes (libzmq lingers 2 s more on what it holds).
    func close(within seconds: Double) throws(TransportError) {
        let deadline = PipelineClock.seconds() + seconds
        while waiting > 0, PipelineClock.seconds() < deadline {
            try flush()
            if waiting > 0 { PipelineClock.sleep(milliseconds: 10) }
        }
        if waiting > 0 {
            log.error("sink unreachable; results not delivered", ["count": waiting])
            dropped += waiting
        }
        monitor.close()
        socket.close()
    }
}
