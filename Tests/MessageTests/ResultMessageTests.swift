import Shared
import Testing

@Suite struct ResultMessageTests {
    static let model = ModelIdentity(backbone: "resnet50", beta: 1.28, weightsHash: 0x0123_4567_89AB_CDEF)

    static let full: ResultMessage = {
        // 7x9 map with runs longer than 127 pixels would need a bigger map; see SegmentationMapTests.
        let labels: [UInt8] = (0..<63).map { $0 < 20 ? 0 : ($0 < 40 ? 15 : 7) }
        return ResultMessage(
            header: FrameHeader(nodeID: "cam-02", sequence: 77, captureTimeMicroseconds: 1_790_000_000_500_000, droppedBefore: 4),
            model: model, originalSize: ImageSize(height: 7, width: 9),
            tasks: TaskResults(
                classification: Classification(top: [
                    ClassScore(classIndex: 281, name: "tabby, tabby cat", probability: 0.625),
                    ClassScore(classIndex: 285, name: "Egyptian cat", probability: 0.125),
                ]),
                detections: [
                    DetectedObject(box: Box(x1: 1.5, y1: 2, x2: 8.25, y2: 6.75), label: 17, name: "cat", score: 0.98),
                    DetectedObject(box: Box(x1: 0, y1: 0, x2: 3, y2: 3), label: 1, name: "person", score: 0.51),
                ],
                segmentation: SegmentationMap(
                    size: ImageSize(height: 7, width: 9), labels: labels, classNames: (0..<21).map { "class-\($0)" })),
            timings: [
                StageTiming(stage: "node_to_edge", milliseconds: 41.5), StageTiming(stage: "edge_queue", milliseconds: 812.25),
                StageTiming(stage: "trunk", milliseconds: 97),
            ],
            latentBytes: 2_345)
    }()

    @Test func fullResultParsesBackToTheSameMessage() throws {
        #expect(try ResultMessage(serialized: Self.full.serialized()) == Self.full)
    }

    @Test func aKeptLatentTravelsWithTheResultAndWithoutLatentLeavesItOut() throws {
        var result = Self.full
        result.latent = [1, 2, 3, 250]
        let parsed = try ResultMessage(serialized: result.serialized())
        #expect(parsed.latent == [1, 2, 3, 250] && parsed == result)
        #expect(try ResultMessage(serialized: result.withoutLatent.serialized()).latent == nil)
        #expect(result.withoutLatent.serialized() == Self.full.serialized(), "without its latent a Result is the bytes it always was")
        let job = JobMessage(latent: [7], stagesBefore: [], keepsLatent: true)
        #expect(try JobMessage(serialized: job.serialized()).keepsLatent)
        #expect(try !JobMessage(serialized: JobMessage(latent: [7], stagesBefore: []).serialized()).keepsLatent)
    }

    @Test func aKeptLatentLargerThanAnyLatentIsRefused() {
        var result = Self.full
        result.latent = [UInt8](repeating: 1, count: LatentMessage.maximumSize + 1)
        #expect(throws: WireError.self) { try ResultMessage(serialized: result.serialized()) }
    }

    @Test func tasksThatDidNotRunStayAbsentAndEmptyDetectionsStayEmpty() throws {
        let result = ResultMessage(
            header: FrameHeader(nodeID: "cam-01", sequence: 1, captureTimeMicroseconds: 5), model: Self.model,
            originalSize: ImageSize(height: 4, width: 4), tasks: TaskResults(detections: []))
        let parsed = try ResultMessage(serialized: result.serialized())
        #expect(parsed.tasks.classification == nil)
        #expect(parsed.tasks.detections == [])
        #expect(parsed.tasks.segmentation == nil)
        #expect(parsed == result)
    }

    @Test func errorResultCarriesItsTextAndNoTaskOutput() throws {
        let result = ResultMessage(
            header: FrameHeader(nodeID: "cam-09", sequence: 3), model: Self.model,
            originalSize: ImageSize(height: 0, width: 0),
            error: "latent made for another model: resnet50 beta=2.56 weights=1")
        let parsed = try ResultMessage(serialized: result.serialized())
        #expect(parsed.error == result.error)
        #expect(parsed == result)
    }

    @Test(
        arguments: [
            ([0x12, 0x00], WireError.missingField(message: "Result", field: "header")),
            ([0x0A, 0x00], WireError.missingField(message: "Result", field: "model")),
            ([0x0A, 0x00, 0x12, 0x00], WireError.missingField(message: "Result", field: "original_size")),
            (
                [0x0A, 0x00, 0x12, 0x00, 0x1A, 0x00, 0x32, 0x08, 0x08, 0x01, 0x10, 0x01, 0x22, 0x02, 0x00, 0x01],
                WireError.invalidField(message: "Segmentation", field: "encoding", reason: "unsupported encoding 0")
            ),
            (
                [0x0A, 0x00, 0x12, 0x00, 0x1A, 0x00, 0x32, 0x0A, 0x08, 0x01, 0x10, 0x02, 0x18, 0x01, 0x22, 0x02, 0x00, 0x01],
                WireError.invalidField(message: "Segmentation", field: "data", reason: "runs cover 1 of 2 pixels")
            ),
        ] as [([UInt8], WireError)])
    func incompleteOrInconsistentResultNamesTheField(bytes: [UInt8], expected: WireError) {
        #expect(throws: expected) { try ResultMessage(serialized: bytes) }
    }

    @Test func moreTimingsThanAnyEdgeRecordsAreRefusedBeforeCopying() {
        var result = Self.full
        result.timings = (0..<65).map { StageTiming(stage: "s\($0)", milliseconds: 1) }
        #expect(throws: WireError.invalidField(message: "Result", field: "timings", reason: "65 entries, at most 64 allowed")) {
            try ResultMessage(serialized: result.serialized())
        }
    }

    @Test func logitsStayInTheProcessAndTheWireCarriesTheTopClasses() throws {
        var result = Self.full
        result.tasks.classification?.logits = [0.5, -1, 2]
        let parsed = try ResultMessage(serialized: result.serialized())
        #expect(parsed.tasks.classification?.logits == nil)
        #expect(parsed.tasks.classification?.top == result.tasks.classification?.top)
    }

    @Test func mutatedResultsParseToStableMessagesOrOneLineErrors() {
        let outcomes = fuzzParser(ResultMessage.self, Self.full.serialized(), seed: 23)
        #expect(outcomes.unstable == 0 && outcomes.badErrors == 0, "\(outcomes)")
        #expect(outcomes.rejected > 1_000, "most corruptions must be detected, got \(outcomes)")
    }
}
