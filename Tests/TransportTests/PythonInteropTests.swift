import Foundation
import Shared
import Testing

/// A Python subscriber (pyzmq + classes compiled from proto/ by a protobuf compiler) reads what we publish:
/// the wire format is standard protobuf over standard ZeroMQ. Opt-in: LADON_PYTHON names a Python with both packages.
@Suite struct PythonInteropTests {
    static let python = ProcessInfo.processInfo.environment["LADON_PYTHON"]
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test(.enabled(if: python != nil, "set LADON_PYTHON to a Python with pyzmq and protobuf to run the Python subscriber"))
    func pythonSubscriberDecodesAResultPublishedFromSwift() throws {
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

        let context = try Context()
        defer { context.close() }
        let publisher = try context.socket(.publisher)
        defer { publisher.close() }
        let endpoint = try publisher.bind("tcp://127.0.0.1:*")

        let child = Process()
        child.executableURL = URL(fileURLWithPath: try #require(Self.python))
        child.arguments = [
            Self.repository.appendingPathComponent("tools/pubsub_interop.py").path,
            "--connect", endpoint, "--topic", "cam-01/", "--count", "1", "--timeout", "30",
        ]
        let output = Pipe()
        let errors = Pipe()
        child.standardOutput = output
        child.standardError = errors
        try child.run()
        defer { if child.isRunning { child.terminate() } }

        // The subscription reaches us asynchronously: publish (another node's topic too) until the child has its message.
        let deadline = Date().addingTimeInterval(60)
        while child.isRunning, Date() < deadline {
            try publisher.send([Array("cam-02/all".utf8), [0xFF]])
            try publisher.send([Array("cam-01/all".utf8), result.serialized()])
            Thread.sleep(forTimeInterval: 0.05)
        }
        if child.isRunning { child.terminate() }
        child.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        try #require(child.terminationStatus == 0, "subscriber exited with \(child.terminationStatus): \(stderr)")

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
}
