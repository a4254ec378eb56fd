/// The edge's work for one latent: check it belongs to this model, entropy-decode it, run the shared
/// trunk once and every head the model has, and express the answers in original image pixels as the
/// frame's Result (with the classification logits, which stay in this process).
public struct EdgeInference: Sendable {
    public let model: EdgeModel
    public let identity: ModelIdentity
    let coder: EntropyBottleneck

    /// Largest network input side we accept from the wire; keeps a hostile header from asking for gigabytes.
    static let maximumInputSide = 4096
    /// Largest original image we map results back to: the segmentation resizes every class's logits to
    /// it (4 bytes per class and pixel), and the encoder decodes no larger frame, so no honest latent
    /// claims more (`PixelImage.defaultMaximumPixels`, below `SegmentationMap.maximumPixels`).
    static let maximumOriginalPixels = min(PixelImage.defaultMaximumPixels, SegmentationMap.maximumPixels)

    public init(_ file: LadonModelFile) throws(WeightsError) {
        model = try EdgeModel(file)
        identity = try ModelIdentity(file)
        coder = try EntropyBottleneck.loading(model.entropy)
    }

    public func infer(_ message: LatentMessage) throws(FrameError) -> ResultMessage {
        try infer(batch: [message])[0].get()
    }

    /// Several frames in as few passes as their shapes allow: each latent is checked and decoded on its
    /// own, those of one latent shape are stacked and run through the trunk and the heads' convolutions
    /// together, and each frame's per-image parts (its segmentation map and detections at its own sizes,
    /// its top classes) run on its own slice. The kernels compute each image of a batch as they would
    /// alone, so every Result is the one the frame gets alone, bit for bit. One outcome per message, in
    /// order; a frame that fails (its shape, its coding, its sizes) fails alone. The stages shared by a
    /// batch (trunk, the heads' convolutions) count in full in each of its frames' timings: that is what
    /// each frame waited.
    public func infer(batch messages: [LatentMessage]) -> [Result<ResultMessage, FrameError>] {
        var outcomes = [Result<ResultMessage, FrameError>?](repeating: nil, count: messages.count)
        var decoded: [(index: Int, latent: Tensor, timings: StageTimings)] = []
        for (index, message) in messages.enumerated() {
            do throws(FrameError) {
                var timings = StageTimings()
                let latent = try decode(message, timings: &timings)
                decoded.append((index, latent, timings))
            } catch {
                outcomes[index] = .failure(error)
            }
        }
        var groups: [[Int]: [Int]] = [:]
        var shapes: [[Int]] = []
        for (position, frame) in decoded.enumerated() {
            if groups[frame.latent.shape] == nil { shapes.append(frame.latent.shape) }
            groups[frame.latent.shape, default: []].append(position)
        }
        for shape in shapes {
            let members = groups[shape] ?? []
            let results = run(
                members.map { (messages[decoded[$0].index], decoded[$0].latent, decoded[$0].timings) })
            for (position, result) in zip(members, results) { outcomes[decoded[position].index] = result }
        }
        return outcomes.map { outcome in
            guard let outcome else { preconditionFailure("every frame has an outcome: its decoding's failure or its group's run") }
            return outcome
        }
    }

    /// The message's latent, checked and entropy-decoded: [1, C, h, w].
    private func decode(_ message: LatentMessage, timings: inout StageTimings) throws(FrameError) -> Tensor {
        let shape = try checkedLatentShape(message)
        do throws(CodecError) {
            return try timings.measure("entropy_decode") { () throws(CodecError) in
                try coder.decompress(message.coded, height: shape[2], width: shape[3])
            }
        } catch {
            throw .codec(error)
        }
    }

    /// Frames whose latents have one shape, as one batch through the trunk and the heads.
    private func run(_ frames: [(message: LatentMessage, latent: Tensor, timings: StageTimings)]) -> [Result<ResultMessage, FrameError>] {
        var timings = frames.map(\.timings)
        func measure<T>(_ stage: String, _ body: () -> T) -> T {
            var shared = StageTimings()
            let value = shared.measure(stage, body)
            for index in timings.indices { timings[index].add(shared.stages) }
            return value
        }
        let features = measure("trunk") { model.trunk(Tensor.stacking(frames.map(\.latent))) }
        let classifications = model.classification.map { head in
            measure("classification") { (0..<frames.count).map { classify(head(features.layer4.image($0))) } }
        }
        let segmentations = model.segmentation.map { head in
            measure("segmentation") {
                let logits = head(features.layer4)
                return frames.indices.map { segment(logits.image($0), frames[$0].message) }
            }
        }
        var detections: [Result<[DetectedObject], FrameError>]?
        if let head = model.detection {
            var parts: [DetectionHead.Timings] = []
            do throws(DetectionError) {
                detections = try head.detect(
                    batch: [features.decoded, features.layer2, features.layer3, features.layer4],
                    sizes: frames.map {
                        DetectionHead.ImageSizes(padded: $0.message.inputSize, resized: $0.message.resizedSize, original: $0.message.originalSize)
                    },
                    timings: &parts
                ).map { outcome in outcome.map { $0.map(describe) }.mapError { .detection($0) } }
                for index in timings.indices { timings[index].add([StageTiming(stage: "detection", milliseconds: parts[index].total)]) }
            } catch {
                detections = Array(repeating: .failure(.detection(error)), count: frames.count)
            }
        }
        return frames.indices.map { index in
            let message = frames[index].message
            let objects: [DetectedObject]?
            switch detections?[index] {
            case let .failure(error)?: return .failure(error)
            case let .success(found)?: objects = found
            case nil: objects = nil
            }
            return .success(
                ResultMessage(
                    header: message.header, model: message.model, originalSize: message.originalSize,
                    tasks: TaskResults(classification: classifications?[index], detections: objects, segmentation: segmentations?[index]),
                    timings: timings[index].stages, latentBytes: UInt64(message.coded.count)))
        }
    }

    /// The latent shape the message's sizes imply for this model, after checking they are plausible
    /// and agree with the shape the message declares: every size that decides an allocation (the latent,
    /// the trunk's maps, the segmentation at the original size) is capped here, before any is made.
    func checkedLatentShape(_ message: LatentMessage) throws(FrameError) -> [Int] {
        let input = message.inputSize
        let resized = message.resizedSize
        let original = message.originalSize
        let divisor = model.architecture.preprocess.sizeDivisible
        guard input.height >= 32, input.width >= 32, input.height <= Self.maximumInputSide,
            input.width <= Self.maximumInputSide, input.height % divisor == 0, input.width % divisor == 0
        else { throw .inference(.implausibleSize(what: "network input", size: input)) }
        guard resized.height >= 1, resized.width >= 1, resized.height <= input.height, resized.width <= input.width
        else { throw .inference(.implausibleSize(what: "resized image", size: resized)) }
        guard original.height >= 1, original.width >= 1, original.height <= 65535, original.width <= 65535,
            original.height * original.width <= Self.maximumOriginalPixels
        else { throw .inference(.implausibleSize(what: "original image", size: original)) }
        guard message.model == identity else {
            throw .inference(.modelMismatch(latent: message.model, edge: identity))
        }
        let expected = [model.architecture.bottleneck.decoderChannels[0], input.height / 4 - 1, input.width / 4 - 1]
        guard message.latentShape == expected else {
            throw .inference(.latentShape(found: message.latentShape, expected: expected))
        }
        return [1] + expected
    }

    private func classify(_ logits: Tensor) -> Classification {
        let names = model.architecture.heads.classification?.classNames ?? []
        let probabilities = softmax(logits.scalars)
        let top = topK(probabilities, k: min(5, probabilities.count))
        return Classification(
            top: top.map {
                ClassScore(classIndex: $0, name: $0 < names.count ? names[$0] : "\($0)", probability: probabilities[$0])
            },
            logits: logits.scalars)
    }

    /// The reference upsamples the head's logits to the padded input, then crops the resized area,
    /// resizes it to the original image and takes the argmax; `LabelMap` does all four in one pass.
    private func segment(_ lowResolution: Tensor, _ message: LatentMessage) -> SegmentationMap {
        let labels = LabelMap.labels(
            upsampling: lowResolution, to: message.inputSize, resized: message.resizedSize, original: message.originalSize)
        return SegmentationMap(
            size: message.originalSize, labels: labels, classNames: model.architecture.heads.segmentation?.classNames ?? [])
    }

    /// The head's detection with its class name.
    private func describe(_ detection: Detection) -> DetectedObject {
        let names = model.architecture.heads.detection?.classNames ?? []
        return DetectedObject(
            box: detection.box, label: detection.label,
            name: detection.label < names.count ? names[detection.label] : "\(detection.label)", score: detection.score)
    }
}
