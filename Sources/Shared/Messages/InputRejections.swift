/// What a stage refused at its sockets: one counter for every socket of a process, by socket and
/// reason, so its summary (and metrics) read the same numbers. Each refusal is one log line naming the
/// problem, at most one per socket and reason every `logInterval` seconds (a hostile peer can send
/// thousands a second; the count keeps them all).
public struct InputRejections: Sendable {
    public struct Key: Hashable, Sendable, Comparable {
        public let socket: String
        public let reason: String

        public static func < (lhs: Key, rhs: Key) -> Bool { (lhs.socket, lhs.reason) < (rhs.socket, rhs.reason) }
    }

    public private(set) var counts: [Key: Int] = [:]
    /// Each refusal also counts here, by `socket` and `reason` (a stage's `..._messages_refused_total`).
    public var exported: MetricFamily<Counter>?
    private var loggedAt: [Key: Double] = [:]
    private let log: Logger
    private let logInterval: Double

    public init(log: Logger, logInterval: Double = 10) {
        self.log = log
        self.logInterval = logInterval
    }

    /// Everything refused so far.
    public var total: Int { counts.values.reduce(0, +) }

    /// What `socket` refused.
    public func count(socket: String) -> Int {
        counts.filter { $0.key.socket == socket }.values.reduce(0, +)
    }

    /// Counts `error` from `peer` on `socket` and logs it unless that socket logged that reason lately.
    public mutating func record(_ error: WireError, socket: String, peer: String? = nil, now: Double = PipelineClock.seconds()) {
        record(reason: error.reason, socket: socket, peer: peer, detail: "\(error)", now: now)
    }

    /// Counts a refusal that is not a parse error (a message kind this peer may not send, say).
    public mutating func record(reason: String, socket: String, peer: String? = nil, detail: String, now: Double = PipelineClock.seconds()) {
        let key = Key(socket: socket, reason: reason)
        counts[key, default: 0] += 1
        exported?.labels(socket, reason).increment()
        guard now - (loggedAt[key] ?? -.infinity) >= logInterval else { return }
        loggedAt[key] = now
        log.warning(
            "refused a message", ["socket": socket, "peer": peer ?? "-", "error": detail, "refused_so_far": counts[key] ?? 0])
    }

    /// Parses a `[kind][payload]` message, or counts why not and gives `nil`.
    public mutating func envelope(_ frames: [[UInt8]], socket: String, peer: String? = nil) -> Envelope? {
        do throws(WireError) {
            return try Envelope(frames: frames)
        } catch {
            record(error, socket: socket, peer: peer)
            return nil
        }
    }

    /// Parses a `[route][kind][payload]` message a ROUTER received, or counts why not and gives `nil`.
    public mutating func routed(
        _ frames: [[UInt8]], socket: String, checkingSize: Bool = true
    ) -> (route: [UInt8], envelope: Envelope)? {
        do throws(WireError) {
            return try Envelope.routed(frames, checkingSize: checkingSize)
        } catch {
            record(error, socket: socket, peer: frames.first.map { String(decoding: $0, as: UTF8.self) })
            return nil
        }
    }

    /// The envelope's payload as `Message`, or `nil` with the reason counted.
    public mutating func decode<Message: WireMessage>(
        _ type: Message.Type, _ envelope: Envelope, socket: String, peer: String? = nil
    ) -> Message? {
        do throws(WireError) {
            return try envelope.decode(type)
        } catch {
            record(error, socket: socket, peer: peer)
            return nil
        }
    }

    /// `socket/reason=count` pairs for a summary line, `-` when nothing was refused.
    public var summary: String {
        counts.isEmpty ? "-" : counts.sorted { $0.key < $1.key }.map { "\($0.key.socket)/\($0.key.reason):\($0.value)" }.joined(separator: ",")
    }
}
