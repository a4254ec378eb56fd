import Foundation
import Synchronization

/// The ZAP handler (ZeroMQ RFC 27) of one process: a REP socket on `inproc://zeromq.zap.01` of the
/// stage's context, answering libzmq's authentication requests for every server socket of that context.
/// Each server socket names a ZAP domain (`ZMQ_ZAP_DOMAIN`), and each domain has its allow-list: a CURVE
/// client whose key the domain's list names is let in with that name as its User-Id; anything else is
/// refused (an unlisted key, another mechanism, an unknown domain) and counted. It must be started before
/// any server socket binds, and it stops when the context closes.
public final class ZAPHandler: Sendable {
    public static let endpoint = "inproc://zeromq.zap.01"

    /// Refusals by domain and reason, and handshakes let in, for the stage's summary.
    public struct Counts: Sendable, Equatable {
        public var accepted = 0
        public var refused: [String: Int] = [:]

        public var refusedTotal: Int { refused.values.reduce(0, +) }
    }

    private let domains: [String: AllowList]
    private let tally = Mutex(Counts())
    private let log = Logger(label: "ladon.zap")

    /// Starts the handler's thread and returns once its socket is bound (or throws why it could not be).
    public init(context: Context, domains: [String: AllowList]) throws(TransportError) {
        self.domains = domains
        let start = StartSignal()
        let thread = Thread { [self] in
            let socket: Socket
            do throws(TransportError) {
                socket = try context.socket(.reply)
                do throws(TransportError) {
                    try socket.bind(Self.endpoint)
                } catch {
                    socket.close()
                    throw error
                }
            } catch {
                start.finish(error)
                return
            }
            start.finish(nil)
            serve(socket)
        }
        thread.start()
        if let error = start.wait() { throw error }
    }

    public var counts: Counts { tally.withLock { $0 } }

    private func serve(_ socket: Socket) {
        defer { socket.close() }
        do throws(TransportError) {
            while true {
                let request = try socket.receive()
                try socket.send(answer(request))
            }
        } catch {
            if !error.isContextTerminated { log.error("ZAP handler stopped", ["error": error]) }
        }
    }

    /// Frames in: version, request id, domain, address, routing id, mechanism, credentials...
    /// Frames out: version, request id, status code, status text, user id, metadata.
    func answer(_ request: [[UInt8]]) -> [[UInt8]] {
        let text = { (index: Int) in index < request.count ? String(decoding: request[index], as: UTF8.self) : "" }
        let requestID = request.count > 1 ? request[1] : []
        func reply(_ code: String, _ status: String, user: String = "") -> [[UInt8]] {
            [Array("1.0".utf8), requestID, Array(code.utf8), Array(status.utf8), Array(user.utf8), []]
        }
        guard request.count >= 6, text(0) == "1.0" else { return refuse("malformed", domain: "-", reply("400", "malformed ZAP request")) }
        let (domain, address, mechanism) = (text(2), text(3), text(5))
        guard let list = domains[domain] else { return refuse("unknown_domain", domain: domain, reply("400", "unknown domain")) }
        guard mechanism == "CURVE", request.count >= 7, let key = CurveKey(bytes: request[6]) else {
            return refuse("not_curve", domain: domain, reply("400", "CURVE required"), address: address)
        }
        guard let name = list.name(of: key) else {
            return refuse("unlisted_key", domain: domain, reply("400", "key not allowed"), address: address)
        }
        tally.withLock { $0.accepted += 1 }
        return reply("200", "OK", user: name)
    }

    private func refuse(_ reason: String, domain: String, _ reply: [[UInt8]], address: String = "-") -> [[UInt8]] {
        let (count, key) = tally.withLock { counts -> (Int, String) in
            let key = "\(domain)/\(reason)"
            counts.refused[key, default: 0] += 1
            return (counts.refused[key] ?? 0, key)
        }
        // Every refusal is counted; the log names the first and then every hundredth of each kind.
        if count == 1 || count % 100 == 0 { log.warning("refused a connection", ["refusal": key, "address": address, "so_far": count]) }
        return reply
    }
}

/// The handler thread's word that its socket is bound, or why it is not.
private final class StartSignal: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let outcome = Mutex<TransportError?>(nil)

    func finish(_ error: TransportError?) {
        outcome.withLock { $0 = error }
        done.signal()
    }

    func wait() -> TransportError? {
        done.wait()
        return outcome.withLock { $0 }
    }
}
