/// The Ladon multi-task supervised-compression model (Matsubara, Mendula, Levorato, WACV 2025),
/// ResNet variant with the factorized-prior bottleneck, as the reference runtime splits it
/// (reference repository `scripts/modules/ladon.py`, `ThreeHeadedLadonResNet`):
/// the mobile side runs `encoder` + entropy coding, the edge runs the trunk and the heads.
public final class LadonModelFile: Sendable {
    public let file: SafeTensorsFile
    public let architecture: LadonArchitecture

    public init(path: String) throws(WeightsError) {
        file = try SafeTensorsFile(path: path)
        guard let json = file.metadata[LadonArchitecture.metadataKey] else {
            throw .badArchitecture(reason: "file \(path) has no '\(LadonArchitecture.metadataKey)' metadata; is it a Ladon model file?")
        }
        architecture = try LadonArchitecture.parse(json)
    }

}

/// What the camera device runs: preprocessing parameters, the bottleneck encoder and the entropy tables.
public struct MobileModel: Sendable {
    public let architecture: LadonArchitecture
    public let encoder: BottleneckEncoder
    public let entropy: EntropyBottleneckWeights

    public init(_ model: LadonModelFile) throws(WeightsError) {
        let reader = WeightReader(file: model.file)
        let channels = model.architecture.bottleneck.encoderChannels
        architecture = model.architecture
        encoder = try BottleneckEncoder(WeightScope(reader, "encoder.encoder"), channels: channels)
        entropy = try EntropyBottleneckWeights(WeightScope(reader, "encoder.entropy_bottleneck"), channels: channels[3])
        try reader.finishReading(allowingUnreadUnder: ["shared_body.", "classification_head.", "segmentation_head.", "detection_head."])
    }
}

/// What the edge runs: entropy tables, the shared trunk and the task heads.
public struct EdgeModel: Sendable {
    public let architecture: LadonArchitecture
    public let entropy: EntropyBottleneckWeights
    public let trunk: SharedTrunk
    public let classification: ClassificationHead?
    public let segmentation: SegmentationHead?
    public let detection: DetectionHead?

    public init(_ model: LadonModelFile) throws(WeightsError) {
        let reader = WeightReader(file: model.file)
        let architecture = model.architecture
        self.architecture = architecture
        entropy = try EntropyBottleneckWeights(
            WeightScope(reader, "encoder.entropy_bottleneck"),
            channels: architecture.bottleneck.decoderChannels[0])
        trunk = try SharedTrunk(WeightScope(reader, "shared_body"), architecture: architecture)
        let finalChannels = architecture.trunkOutputChannels(2)
        classification = try architecture.heads.classification.map { head throws(WeightsError) in
            try ClassificationHead(
                WeightScope(reader, "classification_head"), inFeatures: finalChannels,
                classes: head.numClasses)
        }
        segmentation = try architecture.heads.segmentation.map { head throws(WeightsError) in
            try SegmentationHead(
                WeightScope(reader, "segmentation_head.classifier"), inChannels: finalChannels,
                head: head, eps: architecture.trunk.batchNormEps)
        }
        let trunkChannels = [architecture.trunk.inplanes] + (0..<3).map(architecture.trunkOutputChannels)
        detection = try architecture.heads.detection.map { head throws(WeightsError) in
            try DetectionHead(WeightScope(reader, "detection_head"), inChannels: trunkChannels, head: head)
        }
        try reader.finishReading(allowingUnreadUnder: ["encoder.encoder."])
    }
}
