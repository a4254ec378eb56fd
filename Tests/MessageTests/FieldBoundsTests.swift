import Shared
import Testing

/// Bounds on the fields a message carries, checked as it is parsed: string lengths, segmentation sizes,
/// numbers that must be numbers. protobuf-c has copied the bytes by then (the message's size limit
/// bounds that); what is refused never becomes a Swift value.
@Suite struct FieldBoundsTests {
    static let model = ModelIdentity(backbone: "resnet50", beta: 1.28, weightsHash: 7)
    static let name = String(repeating: "n", count: 1025)
    static let sentence = String(repeating: "s", count: 4097)

    static func result(_ edit: (inout ResultMessage) -> Void) -> ResultMessage {
        var result = ResultMessage(
            header: FrameHeader(nodeID: "cam-01", sequence: 1), model: model, originalSize: ImageSize(height: 2, width: 2),
            tasks: TaskResults(
                classification: Classification(top: [ClassScore(classIndex: 0, name: "cat", probability: 0.5)]),
                detections: [DetectedObject(box: Box(x1: 0, y1: 0, x2: 1, y2: 1), label: 1, name: "cat", score: 0.5)],
                segmentation: SegmentationMap(size: ImageSize(height: 2, width: 2), labels: [0, 0, 1, 1], classNames: ["a", "b"])),
            timings: [StageTiming(stage: "trunk", milliseconds: 1)])
        edit(&result)
        return result
    }

    static func latent(_ edit: (inout LatentMessage) -> Void) -> LatentMessage {
        var latent = LatentMessage(
            header: FrameHeader(nodeID: "cam-01", sequence: 1), model: model, originalSize: ImageSize(height: 480, width: 640),
            inputSize: ImageSize(height: 320, width: 416), resizedSize: ImageSize(height: 312, width: 416), latentShape: [48, 79, 103],
            coded: [0, 0, 0, 128, 0, 0, 0, 0])
        edit(&latent)
        return latent
    }

    @Test func aThirtyMegabyteNodeIDIsRefusedNamingTheFieldAndTheLimit() {
        let result = Self.result { $0.header.nodeID = String(repeating: "x", count: 30 << 20) }
        #expect(throws: WireError.invalidField(message: "Result", field: "header.node_id", reason: "\(30 << 20) bytes, at most 1024 allowed")) {
            try ResultMessage(serialized: result.serialized())
        }
    }

    /// A Result with one text field a byte over its limit, by the field's name.
    static let longResultFields: [String: ResultMessage] = [
        "header.source": result { $0.header.source = name },
        "model.backbone": result { $0.model.backbone = name },
        "classification.top.name": result { $0.tasks.classification?.top[0].name = name },
        "detections.objects.name": result { $0.tasks.detections?[0].name = name },
        "class_names": result { $0.tasks.segmentation?.classNames[1] = name },
        "timings.stage": result { $0.timings[0].stage = name },
        "error": result { $0.error = sentence },
    ]

    @Test(arguments: longResultFields.keys.sorted())
    func aResultTextFieldOverItsLimitIsRefusedNamingIt(field: String) throws {
        let result = try #require(Self.longResultFields[field])
        #expect {
            try ResultMessage(serialized: result.serialized())
        } throws: { error in
            guard case let .invalidField(_, name, reason) = error as? WireError else { return false }
            return name == field && reason.hasSuffix("at most \(field == "error" ? 4096 : 1024) allowed")
        }
    }

    @Test func textFieldsAtTheirLimitsParse() throws {
        let atLimit = Self.result {
            $0.header.nodeID = String(repeating: "n", count: 1024)
            $0.error = String(repeating: "e", count: 4096)
        }
        #expect(try ResultMessage(serialized: atLimit.serialized()) == atLimit)
    }

    static let longLatentFields: [String: LatentMessage] = [
        "header.node_id": latent { $0.header.nodeID = name }, "header.source": latent { $0.header.source = name },
        "model.backbone": latent { $0.model.backbone = name },
    ]

    @Test(arguments: longLatentFields.keys.sorted())
    func aLatentTextFieldOverItsLimitIsRefusedNamingIt(field: String) throws {
        let latent = try #require(Self.longLatentFields[field])
        #expect(throws: WireError.invalidField(message: "Latent", field: field, reason: "1025 bytes, at most 1024 allowed")) {
            try LatentMessage(serialized: latent.serialized())
        }
    }

    @Test func aFrameNodeIDOverTheLimitIsRefused() {
        let frame = FrameMessage(header: FrameHeader(nodeID: Self.name, sequence: 1), jpeg: [0xFF, 0xD8])
        #expect(throws: WireError.invalidField(message: "Frame", field: "header.node_id", reason: "1025 bytes, at most 1024 allowed")) {
            try FrameMessage(serialized: frame.serialized())
        }
    }

    @Test func aJobStageNameOverTheLimitIsRefused() {
        let job = JobMessage(latent: [1], stagesBefore: [StageTiming(stage: Self.name, milliseconds: 1)])
        #expect(throws: WireError.invalidField(message: "Job", field: "stages_before.stage", reason: "1025 bytes, at most 1024 allowed")) {
            try JobMessage(serialized: job.serialized())
        }
    }

    @Test func anAnswerCarriesItsResultsTimingsAndOneWithAStageNameOverTheLimitIsRefused() throws {
        let result = ResultMessage(
            header: FrameHeader(nodeID: "cam-01", sequence: 3), model: ModelIdentity(backbone: "b", beta: 1, weightsHash: 1),
            originalSize: ImageSize(height: 4, width: 4),
            timings: [StageTiming(stage: "node_to_edge", milliseconds: 41.5), StageTiming(stage: "trunk", milliseconds: 97)])
        let answer = AnswerMessage(result)
        #expect(answer.timings == result.timings)
        #expect(try AnswerMessage(serialized: answer.serialized()) == answer)
        let long = AnswerMessage(result: [1], failed: true, timings: [StageTiming(stage: Self.name, milliseconds: 1)])
        #expect(throws: WireError.invalidField(message: "Answer", field: "timings.stage", reason: "1025 bytes, at most 1024 allowed")) {
            try AnswerMessage(serialized: long.serialized())
        }
    }

    /// A control message with one text field over its limit, by "Message.field".
    static let longControlFields: [String: ControlMessage] = [
        "Hello.peer_id": .hello(.init(peerID: name, role: .node, incarnation: 1)),
        "Hello.model.backbone": .hello(
            .init(peerID: "cam", role: .node, model: ModelIdentity(backbone: name, beta: 1, weightsHash: 1), incarnation: 1)),
        "Bye.peer_id": .bye(.init(peerID: name)), "Bye.reason": .bye(.init(peerID: "cam", reason: sentence)),
        "Credit.node_id": .credit(.init(nodeID: name, grants: 1)), "Ready.worker_id": .ready(.init(workerID: name, capacity: 1)),
        "Heartbeat.peer_id": .heartbeat(.init(peerID: name, sequence: 1, timeMicroseconds: 1)),
    ]

    @Test(arguments: longControlFields.keys.sorted())
    func aControlTextFieldOverItsLimitIsRefusedNamingIt(messageAndField: String) throws {
        let control = try #require(Self.longControlFields[messageAndField])
        let (message, field) = (String(messageAndField.prefix { $0 != "." }), String(messageAndField.drop { $0 != "." }.dropFirst()))
        let limit = field == "reason" ? 4096 : 1024
        #expect(throws: WireError.invalidField(message: message, field: field, reason: "\(limit + 1) bytes, at most \(limit) allowed")) {
            try ControlMessage(serialized: control.serialized())
        }
    }

    /// Result { header {}, model {}, original_size {}, segmentation { 60000 x 60000, RLE, one run } }: nine
    /// bytes of runs asking for a 3.6-gigapixel map.
    @Test func aResultWhoseSegmentationClaims60000x60000PixelsIsRefusedBeforeItsRunsAreDecoded() {
        let segmentation: [UInt8] = [0x08, 0xE0, 0xD4, 0x03, 0x10, 0xE0, 0xD4, 0x03, 0x18, 0x01, 0x22, 0x06, 0x00, 0x80, 0x80, 0x80, 0x80, 0x0F]
        let bytes: [UInt8] = [0x0A, 0x00, 0x12, 0x00, 0x1A, 0x00, 0x32, UInt8(segmentation.count)] + segmentation
        #expect(
            throws: WireError.invalidField(
                message: "Segmentation", field: "height", reason: "60000x60000 is over the \(SegmentationMap.maximumPixels)-pixel limit")
        ) {
            try ResultMessage(serialized: bytes)
        }
    }

    /// A NaN or an infinity made the sink's JSON document fail to encode, and the sink wrote `{}`.
    static let nonFiniteFields: [String: ResultMessage] = [
        "classification.top.probability": result { $0.tasks.classification?.top[0].probability = .nan },
        "detections.objects.score": result { $0.tasks.detections?[0].score = .infinity },
        "detections.objects.box": result { $0.tasks.detections?[0].box.x2 = -.infinity },
        "timings.milliseconds": result { $0.timings[0].milliseconds = .nan },
        "model.beta": result { $0.model.beta = .infinity },
    ]

    @Test(arguments: nonFiniteFields.keys.sorted())
    func aResultNumberThatIsNotFiniteIsRefusedNamingTheField(field: String) throws {
        let result = try #require(Self.nonFiniteFields[field])
        #expect {
            try ResultMessage(serialized: result.serialized())
        } throws: { error in
            guard case let .invalidField("Result", name, _) = error as? WireError else { return false }
            return name == field
        }
    }
}

/// protobuf-c allocates as it parses, before the repeated-field bounds can be checked; a budget of twice
/// the message plus 8 MiB stops a message of many empty entries from costing 36 times its size.
@Suite struct DecodingBudgetTests {
    /// Result { header {}, model {}, original_size {}, detections { `entries` x `entry` } }.
    static func result(detections entries: Int, entry: [UInt8]) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(entries * entry.count)
        for _ in 0..<entries { body += entry }
        return [0x0A, 0x00, 0x12, 0x00, 0x1A, 0x00, 0x2A] + varint(body.count) + body
    }

    static func varint(_ value: Int) -> [UInt8] {
        var (value, bytes) = (value, [UInt8]())
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        return bytes + [UInt8(value)]
    }

    @Test func aResultOfMillionsOfEmptyDetectionsIsRefusedBeforeProtobufCAllocatesThem() {
        // 3 M entries of two bytes (an empty DetectedObject) in 6 MB: protobuf-c would allocate about 216 MB.
        let bytes = Self.result(detections: 3_000_000, entry: [0x0A, 0x00])
        #expect(throws: WireError.decodingBudget(message: "Result", size: bytes.count, budget: 2 * bytes.count + (8 << 20))) {
            try ResultMessage(serialized: bytes)
        }
    }

    @Test func theMostDetectionsTheBoundsAllowFitTheBudgetEvenWhenEmpty() throws {
        // 10,000 detections at (0, 0, 0, 0) with label, score and name all zero: two bytes each on the wire.
        let bytes = Self.result(detections: 10_000, entry: [0x0A, 0x00])
        #expect(try ResultMessage(serialized: bytes).tasks.detections?.count == 10_000)
        #expect(throws: WireError.invalidField(message: "Result", field: "detections.objects", reason: "10001 entries, at most 10000 allowed")) {
            try ResultMessage(serialized: Self.result(detections: 10_001, entry: [0x0A, 0x00]))
        }
    }

    @Test func theMostDetectionsTheBoundsAllowWithBoxesAndNamesParse() throws {
        let objects = (0..<10_000).map { index in
            DetectedObject(box: Box(x1: 1, y1: 2, x2: Float(index), y2: 4), label: index % 90, name: "traffic light", score: 0.5)
        }
        let result = FieldBoundsTests.result { $0.tasks.detections = objects }
        #expect(try ResultMessage(serialized: result.serialized()).tasks.detections == objects)
    }
}
