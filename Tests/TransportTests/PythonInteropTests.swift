import Foundation
import Shared
import Testing

/// The Python client examples/subscriber.py (pyzmq + classes compiled from proto/ by a protobuf compiler) reads what we publish:
/// the wire format is standard protobuf over standard ZeroMQ. The Python is LADON_PYTHON or `python3`; `./dev test`
/// installs Debian's python3-zmq and python3-protobuf, and a Python without them fails this test (exit status 2).
@Suite struct PythonInteropTests {
    static let python = ProcessInfo.processInfo.environment["LADON_PYTHON"] ?? "/usr/bin/python3"
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func pythonSubscriberDecodesAResultPublishedFromSwift() throws {
        let result = ResultMessage(
            header: FrameHeader(nodeID: "cam-01", sequence: 314, captureTimeMicroseconds: 1_790_000_000_271_828, droppedBefore: 2),
            model: ModelIdentity(backbone: "resnet50", beta: 1.28, weightsHash: 0xFEDC_BA98_7654_3210),
            originalSize: ImageSize(height: 3, width: 100),
            tasks: TaskResults(
                classification: Classification(top: [ClassScore(classIndex: 281, name: "tabby, tabby cat", probability: 0.75)]),
                detections: [DetectedObject(box: Box(x1: 1.5, y1: 0.25, x2: 99, y2: 2.75), label: 17, name: "cat", score: 0.875)],
                segmentation: SegmentationMap(
                    size: ImageSize(height: 3, width: 100),
                    labels: (0..<300).map { $0 < 170 ? 0 : 8 }, classNames: (0..<21).map { "c\($0)" })),
            timings: [StageTiming(stage: "encode", milliseconds: 12.5), StageTiming(stage: "heads", milliseconds: 80)],
            latentBytes: 1_234)

        let output = try Self.runClient(["--topic", "cam-01/", "--count", "1", "--timeout", "30"]) { publisher in
            try publisher.send([Array("cam-02/all".utf8), [0xFF]])
            try publisher.send([Array("cam-01/all".utf8), result.serialized()])
        }
        let stdout = Data(output.utf8)
        let line = try #require(String(decoding: stdout, as: UTF8.self).split(separator: "\n").first)
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(decoded["topic"] as? String == "cam-01/all")
        #expect(decoded["node_id"] as? String == "cam-01")
        #expect(decoded["sequence"] as? Int == 314)
        #expect(decoded["capture_time_us"] as? Int == 1_790_000_000_271_828)
        let model = decoded["model"] as? [String: Any]
        #expect(model?["backbone"] as? String == "resnet50")
        #expect(model?["beta"] as? Double == 1.28)
        #expect(model?["weights_hash"] as? String == "fedcba9876543210")
        #expect(decoded["original_size"] as? [Int] == [3, 100])
        let top = decoded["classification"] as? [[Any]]
        #expect(top?.first?[1] as? String == "tabby, tabby cat")
        #expect(top?.first?[2] as? Double == 0.75)
        let detection = (decoded["detections"] as? [[String: Any]])?.first
        #expect(detection?["box"] as? [Double] == [1.5, 0.25, 99, 2.75])
        #expect(detection?["name"] as? String == "cat")
        #expect(detection?["label"] as? Int == 17)
        let segmentation = decoded["segmentation"] as? [String: Any]
        #expect(segmentation?["labels"] as? [Int] == result.tasks.segmentation?.labels.map(Int.init))
        #expect((segmentation?["class_names"] as? [String])?.count == 21)
        #expect((decoded["timings"] as? [[Any]])?.compactMap { $0.first as? String } == ["encode", "heads"])
        #expect(decoded["latent_bytes"] as? Int == 1_234)
        #expect(decoded["dropped_before"] as? Int == 2)
        #expect(decoded["error"] as? String == "")
    }

    /// The client reads on its own thread and keeps the newest Result per topic: printing 4 a second of
    /// 16 a second published, every line it prints is under a second old and the rest are counted skipped.
    @Test func pythonSubscriberReadingFourASecondOfSixteenPrintsOnlyFreshResults() throws {
        var sequence: UInt64 = 0
        let output = try Self.runClient(["--topic", "cam-01/all", "--count", "24", "--max-rate", "4"], interval: 1.0 / 16) { publisher in
            sequence += 1
            let header = FrameHeader(nodeID: "cam-01", sequence: sequence, captureTimeMicroseconds: PipelineClock.wallMicroseconds())
            let result = ResultMessage(
                header: header, model: ModelIdentity(backbone: "resnet50", beta: 1.28, weightsHash: 1),
                originalSize: ImageSize(height: 2, width: 2), tasks: TaskResults(), timings: [], latentBytes: 10)
            try publisher.send([Array("cam-01/all".utf8), result.serialized()])
        }
        let lines = try output.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(lines.count == 24)
        let ages = lines.compactMap { $0["age_ms"] as? Int }
        #expect(ages.count == 24 && ages.allSatisfy { $0 < 1_000 }, "ages (ms): \(ages)")
        let skipped = lines.compactMap { $0["skipped"] as? Int }.reduce(0, +)
        // 24 lines at 4 a second take 6 s, in which about 96 Results were published.
        #expect(skipped >= 40, "skipped \(skipped)")
        let sequences = lines.compactMap { $0["sequence"] as? Int }
        #expect(sequences == sequences.sorted())
    }

    /// Runs examples/subscriber.py against a PUB socket of ours, calling `publish` every `interval` seconds
    /// until the client exits (subscriptions propagate asynchronously); returns its stdout.
    static func runClient(_ arguments: [String], interval: Double = 0.05, publish: (Socket) throws -> Void) throws -> String {
        let context = try Context()
        defer { context.close() }
        let publisher = try context.socket(.publisher)
        defer { publisher.close() }
        let endpoint = try publisher.bind("tcp://127.0.0.1:*")

        let child = Process()
        child.executableURL = URL(fileURLWithPath: python)
        child.arguments = [repository.appendingPathComponent("examples/subscriber.py").path, "--connect", endpoint] + arguments
        let output = Pipe()
        let errors = Pipe()
        child.standardOutput = output
        child.standardError = errors
        try child.run()
        defer { if child.isRunning { child.terminate() } }
        let deadline = Date().addingTimeInterval(60)
        while child.isRunning, Date() < deadline {
            try publish(publisher)
            Thread.sleep(forTimeInterval: interval)
        }
        if child.isRunning { child.terminate() }
        // Read before waiting: a full pipe would block the child.
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        try #require(child.terminationStatus == 0, "subscriber exited with \(child.terminationStatus): \(stderr)")
        return String(decoding: stdout, as: UTF8.self)
    }
}
