import Foundation
import Shared

/// What the sink publishes on MQTT for one Result: `<prefix>/<node>/<task>` for each task it carries
/// and `<prefix>/<node>/all`, each the Result's JSON document (only that task's member besides the
/// frame, model and timings), QoS 1 and retained, so a client that subscribes late gets each node's
/// latest at once; and `<prefix>/<node>/events`, not retained, one JSON object per `ClassEvents` event.
public struct MQTTResults: Sendable {
    public struct Message: Sendable, Equatable {
        public var topic: String
        public var payload: Data
        public var retain: Bool
    }

    public let prefix: String
    private var events: ClassEvents

    static let taskMembers = ["classification": "classification", "detection": "detection", "segmentation": "segmentation"]

    public init(prefix: String = "ladon", events: ClassEvents = ClassEvents()) {
        self.prefix = prefix
        self.events = events
    }

    public mutating func messages(for result: ResultMessage) -> [Message] {
        let node = result.header.nodeID
        let document = result.jsonData()
        var out = [Message(topic: "\(prefix)/\(node)/all", payload: document, retain: true)]
        if let whole = (try? JSONSerialization.jsonObject(with: document)) as? [String: Any] {
            let common = whole.filter { ["frame", "model", "timings", "bytes", "dropped", "error"].contains($0.key) }
            for (task, member) in Self.taskMembers.sorted(by: { $0.key < $1.key }) {
                guard let value = whole[member] else { continue }
                var part = common
                part[member] = value
                if let data = try? JSONSerialization.data(withJSONObject: part, options: [.sortedKeys]) {
                    out.append(Message(topic: "\(prefix)/\(node)/\(task)", payload: data, retain: true))
                }
            }
        }
        for event in events.observe(result) {
            let object: [String: Any] = [
                "type": event.kind.rawValue, "node": event.node, "label": event.label, "sequence": event.sequence,
                "count": event.count, "score": Double(event.score), "captured": result.header.captureTimeMicroseconds,
            ]
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                out.append(Message(topic: "\(prefix)/\(node)/events", payload: data, retain: false))
            }
        }
        return out
    }
}
