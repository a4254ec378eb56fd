import Foundation
import Shared
import Synchronization

/// `ladon-sink subscribe`: a SUB socket on the sink's publish endpoint, read on a thread of its own into
/// `FreshestResults`, so the application (which prints one JSON line per Result, at most `maximumRate`
/// a second when asked to be slow) always takes the newest Result of each topic and a slow one never
/// works through a backlog (imagezmq's classic slow-motion video). Each line carries `skipped`, the
/// Results of its topic replaced unread since the previous line, and `age_ms`, the Result's age when printed.
public enum ResultSubscriber {
    public struct Configuration: Sendable {
        public var endpoint: String
        public var topic: String
        /// Exit after this many Results printed.
        public var count: Int?
        /// Print at most this many Results a second (an application that keeps up only so far).
        public var maximumRate: Double?
        /// Keep every Result in order (up to `FreshestResults.everyDepth` per topic waiting) instead of the newest.
        public var every = false
        /// CURVE or plaintext; in CURVE mode only a sink holding `sinkKey` is listened to.
        public var security = StageSecurity.local
        public var sinkKey: CurveKey?

        public init(endpoint: String, topic: String) {
            self.endpoint = endpoint
            self.topic = topic
        }
    }

    /// Prints until `count` Results or `shouldStop`; hands each JSON line to `emit`. Returns how many were printed.
    @discardableResult
    public static func run(_ configuration: Configuration, shouldStop: () -> Bool, emit: (Data) -> Void) throws -> Int {
        let log = Logger(label: "ladon-sink.subscribe")
        let context = try Context()
        defer { context.close() }
        let mailbox = FreshestResults(depth: configuration.every ? FreshestResults.everyDepth : 1)
        let reader = try ReaderThread(context: context, configuration: configuration, into: mailbox, log: log)
        defer { reader.stop() }
        log.info("subscribed", ["endpoint": configuration.endpoint, "topic": configuration.topic, "security": configuration.security])
        var rejections = InputRejections(log: log)
        var printed = 0
        let interval = configuration.maximumRate.map { 1 / $0 } ?? 0
        var nextPrint = PipelineClock.seconds()
        while !shouldStop(), printed < configuration.count ?? .max {
            PipelineClock.sleep(seconds: max(0.005, nextPrint - PipelineClock.seconds()), unless: shouldStop)
            // A slow application takes one Result per interval, so the rest stay in the mailbox to be replaced.
            for taken in mailbox.take(limit: interval > 0 ? 1 : .max) where printed < configuration.count ?? .max {
                guard let result = rejections.decode(ResultMessage.self, Envelope(kind: .result, payload: taken.payload), socket: "publish")
                else { continue }
                var line = result.jsonData(topic: taken.topic)
                // `skipped` and `age_ms` (capture to this line, on the wall clock) join the document's members.
                let age = Double(PipelineClock.wallMicroseconds() - result.header.captureTimeMicroseconds) / 1000
                line.removeLast()
                line += Data(", \"skipped\": \(taken.skipped), \"age_ms\": \(Int(age.rounded()))}\n".utf8)
                emit(line)
                printed += 1
                // One interval after this line, however long the application waited for it.
                if interval > 0 { nextPrint = max(nextPrint, PipelineClock.seconds()) + interval }
            }
        }
        log.info("finished", ["printed": printed, "skipped": mailbox.skipped, "refused": rejections.summary])
        return printed
    }
}

/// The subscriber's reader: its SUB socket made, used and closed on its own thread, every message handed
/// to the mailbox as soon as it arrives. `stop()` ends it and waits for it.
private final class ReaderThread: Sendable {
    private let stopping = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)

    init(context: Context, configuration: ResultSubscriber.Configuration, into mailbox: FreshestResults, log: Logger) throws {
        let started = DispatchSemaphore(value: 0)
        let failure = Mutex<TransportError?>(nil)
        let thread = Thread { [self] in
            defer { done.signal() }
            let socket: Socket
            do throws(TransportError) {
                socket = try context.socket(.subscriber)
                try socket.set(.maxMessageSize(bytes: MessageKind.receiveLimit(.result)))
                try socket.set(.receiveHighWaterMark(messages: 64))
                try configuration.security.secureClient(socket, serverKey: configuration.sinkKey)
                try socket.set(.subscribe(prefix: Array(configuration.topic.utf8)))
                try socket.connect(configuration.endpoint)
            } catch {
                failure.withLock { $0 = error }
                started.signal()
                return
            }
            started.signal()
            defer { socket.close() }
            var poller = Poller()
            poller.add(socket)
            do throws(TransportError) {
                while !stopping.load(ordering: .relaxed) {
                    guard try poller.poll(timeoutMilliseconds: 50)[0].contains(.readable) else { continue }
                    while let message = try socket.tryReceive() {
                        // [topic][Result]: anything else is counted where it is decoded, as a malformed Result.
                        mailbox.offer(topic: String(decoding: message.first ?? [], as: UTF8.self), payload: message.count == 2 ? message[1] : [])
                    }
                }
            } catch {
                if !error.isContextTerminated { log.error("subscriber stopped", ["error": error]) }
            }
        }
        thread.start()
        started.wait()
        if let error = failure.withLock({ $0 }) {
            done.wait()
            throw error
        }
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        done.wait()
    }
}
