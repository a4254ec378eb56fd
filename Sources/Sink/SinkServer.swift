import Foundation
import Shared

/// `ladon-sink serve`: PULLs Results from the edge broker, publishes each on a PUB socket under
/// `<node>/<task>` for every task present and `<node>/all`, logs per-frame metrics, prints periodic
/// and final summaries, and with `outDirectory` writes each Result as JSON plus its label map as PNG;
/// with `frames` too, each Result drawn on its source frame (found by the Result's `source` name).
public final class SinkServer {
    public struct Configuration: Sendable {
        public var results: String
        public var publish: String
        public var outDirectory: String?
        /// The frames ingest read; annotated images need `outDirectory`.
        public var frames: FrameFolder?
        public var summaryEverySeconds: Double?
        /// Stop after this many Results (pipelines that know how many frames they sent).
        public var expect: Int?

        public init(results: String, publish: String) {
            self.results = results
            self.publish = publish
        }
    }

    public private(set) var metrics = SinkMetrics()
    let configuration: Configuration
    let log = Logger(label: "ladon-sink")
    private var written = 0
    /// Annotated images written, and frames that had a source but could not be annotated.
    public private(set) var annotated = 0
    public private(set) var annotationFailures = 0
    private var rejections: InputRejections

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        rejections = InputRejections(log: log)
    }

    /// Serves until `shouldStop` or `expect` Results; prints each summary with `report`.
    public func run(shouldStop: () -> Bool, report: (String) -> Void = { print($0) }) throws {
        let context = try Context()
        defer { context.close() }
        let pull = try context.socket(.pull)
        defer { pull.close() }
        let publisher = try context.socket(.publisher, lingerMilliseconds: 1_000)
        defer { publisher.close() }
        try pull.set(.maxMessageSize(bytes: MessageKind.receiveLimit(.result)))
        let resultsEndpoint = try pull.bind(configuration.results)
        let publishEndpoint = try publisher.bind(configuration.publish)
        if let directory = configuration.outDirectory {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        log.info("sink ready", ["results": resultsEndpoint, "publish": publishEndpoint])

        var poller = Poller()
        poller.add(pull)
        var lastSummary = PipelineClock.seconds()
        while !shouldStop() {
            if let expect = configuration.expect, metrics.total.frames + metrics.malformed >= expect { break }
            if try poller.poll(timeoutMilliseconds: 100)[0].contains(.readable) {
                while let message = try pull.tryReceive() {
                    try handle(message, publisher)
                    if let expect = configuration.expect, metrics.total.frames + metrics.malformed >= expect { break }
                }
            }
            if let every = configuration.summaryEverySeconds, PipelineClock.seconds() - lastSummary >= every {
                metrics.summary("sink summary:").forEach(report)
                lastSummary = PipelineClock.seconds()
            }
        }
        metrics.summary("sink final:").forEach(report)
        if let frames = configuration.frames, configuration.outDirectory != nil {
            report("sink annotations: written=\(annotated) failed=\(annotationFailures) frames=\(frames.path)")
        }
    }

    private func handle(_ message: [[UInt8]], _ publisher: Socket) throws(TransportError) {
        let received = PipelineClock.wallMicroseconds()
        guard let envelope = rejections.envelope(message, socket: "results"),
            let result = rejections.decode(ResultMessage.self, envelope, socket: "results")
        else {
            metrics.malformed = rejections.total
            return
        }
        let latency = metrics.record(result, receivedMicroseconds: received)
        for topic in result.topics {
            // PUB never blocks: a slow subscriber loses messages at its high-water mark, not the sink.
            _ = try publisher.trySend([Array(topic.utf8), envelope.payload])
        }
        let stages = result.timings.map { "\($0.stage):\(String(format: "%.1f", $0.milliseconds))" }.joined(separator: ",")
        if let error = result.error {
            log.warning(
                "frame error",
                ["node": result.header.nodeID, "sequence": result.header.sequence, "dropped_before": result.header.droppedBefore, "error": error])
        } else {
            log.info(
                "frame",
                [
                    "node": result.header.nodeID, "sequence": result.header.sequence,
                    "e2e_ms": latency.map { String(format: "%.1f", $0) } ?? "-",
                    "latent_bytes": result.latentBytes, "dropped_before": result.header.droppedBefore, "stages": stages,
                ])
        }
        if let directory = configuration.outDirectory { write(result, to: directory) }
    }

    /// `<node>-<sequence>.json` and, with segmentation, `<node>-<sequence>-labels.png` (8-bit label values).
    private func write(_ result: ResultMessage, to directory: String) {
        written += 1
        let node = String(result.header.nodeID.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        let stem = result.error == nil ? "\(node)-\(result.header.sequence)" : "\(node)-error-\(written)"
        let base = URL(fileURLWithPath: directory).appendingPathComponent(stem).path
        do {
            try FileIO.write(result.jsonData() + Data("\n".utf8), to: base + ".json", what: "result JSON")
            if let map = result.tasks.segmentation {
                try FileIO.write(
                    try PNG.encode(PixelImage(size: map.size, channels: 1, pixels: map.labels)),
                    to: base + "-labels.png", what: "label map")
            }
        } catch {
            log.error("cannot write result files", ["error": "\(error)"])
        }
        if let frames = configuration.frames, result.error == nil, !result.header.source.isEmpty {
            annotate(result, from: frames, to: base + "-annotated.png")
        }
    }

    /// `<node>-<sequence>-annotated.png`; a missing, corrupt or mismatched frame is logged and counted.
    /// Runs on the I/O thread (mostly PNG compression) while Results wait in the PULL queue.
    private func annotate(_ result: ResultMessage, from frames: FrameFolder, to path: String) {
        do {
            try FileIO.write(
                try frames.annotatedPNG(source: result.header.source, FrameAnnotations(result)), to: path,
                what: "annotated frame")
            annotated += 1
        } catch {
            annotationFailures += 1
            log.warning(
                "cannot annotate frame",
                [
                    "node": result.header.nodeID, "sequence": result.header.sequence,
                    "source": result.header.source, "error": "\(error)",
                ])
        }
    }
}
