import Foundation
import Shared

/// `ladon-sink subscribe`: a SUB socket on the sink's publish endpoint, one JSON line per Result.
public enum ResultSubscriber {
    /// Receives Results whose topic starts with `topic` until `count` arrived or `shouldStop`; hands each
    /// JSON line (topic included) to `emit`. Returns how many Results were printed.
    @discardableResult
    public static func run(
        connect endpoint: String, topic: String, count: Int?,
        shouldStop: () -> Bool,
        emit: (Data) -> Void
    ) throws -> Int {
        let log = Logger(label: "ladon-sink.subscribe")
        let context = try Context()
        defer { context.close() }
        let subscriber = try context.socket(.subscriber)
        defer { subscriber.close() }
        try subscriber.set(.maxMessageSize(bytes: MessageKind.receiveLimit(.result)))
        try subscriber.set(.subscribe(prefix: Array(topic.utf8)))
        try subscriber.connect(endpoint)
        var poller = Poller()
        poller.add(subscriber)
        var printed = 0
        var rejections = InputRejections(log: log)
        while !shouldStop(), printed < count ?? .max {
            guard try poller.poll(timeoutMilliseconds: 100)[0].contains(.readable) else { continue }
            while printed < count ?? .max, let message = try subscriber.tryReceive() {
                // [topic][Result]: the topic in place of the kind tag.
                guard message.count == 2 else {
                    rejections.record(WireError.frameCount(expected: 2, actual: message.count), socket: "publish")
                    continue
                }
                let envelope = Envelope(kind: .result, payload: message[1])
                guard let result = rejections.decode(ResultMessage.self, envelope, socket: "publish") else { continue }
                emit(result.jsonData(topic: String(decoding: message[0], as: UTF8.self)) + Data("\n".utf8))
                printed += 1
            }
        }
        return printed
    }
}
