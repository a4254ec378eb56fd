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
        var timings = StageTimings()
        let shape = try checkedLatentShape(message)
        let latent: Tensor
        do throws(CodecError) {
            latent = try timings.measure("entropy_decode") { () throws(CodecError) in
                try coder.decompress(message.coded, height: shape[2], width: shape[3])
            }
        } catch {
            throw .codec(error)
        }
        let features = timings.measure("trunk") { model.trunk(latent) }
        let classification = model.classification.map { head in
            timings.measure("classification") { classify(head(features.layer4)) }
        }
        let segmentation = model.segmentation.map { head in
            timings.measure("segmentation") { segment(head(features.layer4), message) }
        }
        var detections: [DetectedObject]?
        if let head = model.detection {
            do throws(DetectionError) {
                detections = try timings.measure("detection") { () throws(DetectionError) in
                    try head(
                        features: features, paddedSize: message.inputSize, resizedSize: message.resizedSize,
                        originalSize: message.originalSize
                    ).map(describe)
                }
            } catch {
                throw .detection(error)
            }
        }
        return ResultMessage(
            header: message.header, model: message.model, originalSize: message.originalSize,
            tasks: TaskResults(classification: classification, detections: detections, segmentation: segmentation),
            timings: timings.stages, latentBytes: UInt64(message.coded.count))
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
    /// resizes it to the original image and takes the argmax.
    private func segment(_ lowResolution: Tensor, _ message: LatentMessage) -> SegmentationMap {
        let logits = Resize.bilinear(lowResolution, height: message.inputSize.height, width: message.inputSize.width)
        let labels = LabelMap.labels(logits, resized: message.resizedSize, original: message.originalSize)
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
