import Foundation
import Shared

/// One node's update as the page reads it (JSON, `snake_case` keys): the frame it answers, what the
/// heads said in short, how long it took and how many bytes it cost, and the node's counts so far.
public struct ViewerEvent: Encodable, Sendable, Equatable {
    /// One point of the node's charts.
    public struct Point: Encodable, Sendable, Equatable {
        public var sequence: UInt64
        public var latencyMilliseconds: Double?
        public var bytes: UInt64

        enum CodingKeys: String, CodingKey {
            case sequence = "s"
            case latencyMilliseconds = "ms"
            case bytes = "b"
        }
    }

    /// The objects of one class detected at or above the shown score, and the best score among them.
    public struct Objects: Encodable, Sendable, Equatable {
        public var name: String
        public var count: Int
        public var best: Float
    }

    public var node: String
    public var sequence: UInt64
    public var captureMicroseconds: Int64
    public var latencyMilliseconds: Double?
    public var bytes: UInt64
    public var droppedBefore: UInt64
    public var error: String?
    public var topClass: String?
    public var topScore: Float?
    public var objects: [Objects]
    /// The frame's file name at ingest (empty for a camera), as the Result carries it.
    public var source: String
    public var stages: [String: Double]
    /// The node's counts at the sink: Results, error Results, frames the node dropped.
    public var frames: Int
    public var errors: Int
    public var drops: UInt64

    init(_ result: ResultMessage, latencyMilliseconds: Double?, counts: SinkMetrics.Counts, minimumScore: Float) {
        node = result.header.nodeID
        sequence = result.header.sequence
        captureMicroseconds = result.header.captureTimeMicroseconds
        self.latencyMilliseconds = latencyMilliseconds.flatMap { $0.isFinite ? $0 : nil }
        bytes = result.latentBytes
        droppedBefore = result.header.droppedBefore
        error = result.error
        let top = result.tasks.classification?.top.first
        topClass = top?.name
        topScore = top?.probability
        var objects: [Objects] = []
        for object in result.tasks.detections ?? [] where object.score >= minimumScore {
            if let index = objects.firstIndex(where: { $0.name == object.name }) {
                objects[index].count += 1
                objects[index].best = max(objects[index].best, object.score)
            } else if objects.count < 32 {
                objects.append(Objects(name: object.name, count: 1, best: object.score))
            }
        }
        self.objects = objects
        source = result.header.source
        stages = Dictionary(result.timings.filter { $0.milliseconds.isFinite }.map { ($0.stage, $0.milliseconds) }) { first, _ in first }
        frames = counts.frames
        errors = counts.errors
        drops = counts.drops
    }

    var point: Point { Point(sequence: sequence, latencyMilliseconds: latencyMilliseconds, bytes: bytes) }

    enum CodingKeys: String, CodingKey {
        case node, sequence, bytes, error, objects, source, stages, frames, errors, drops
        case captureMicroseconds = "capture_us"
        case latencyMilliseconds = "latency_ms"
        case droppedBefore = "dropped_before"
        case topClass = "top_class"
        case topScore = "top_score"
    }
}

/// Every node as a page that just connected starts from.
struct ViewerSnapshot: Encodable {
    struct Node: Encodable {
        var update: ViewerEvent
        var history: [ViewerEvent.Point]
    }

    var nodes: [Node]
    var nodesNotShown: Int

    enum CodingKeys: String, CodingKey {
        case nodes
        case nodesNotShown = "nodes_not_shown"
    }
}
