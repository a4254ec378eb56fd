import Dispatch

/// The object-detection head: torchvision Faster R-CNN with FPN (Ren et al., 2015; Lin et al., 2017) as
/// the reference runtime runs it (reference `scripts/modules/ladon.py`, `LadonRCNNDetectionHead`): FPN on
/// the trunk's features '0'..'3', RPN, multi-scale RoIAlign over '0'..'3', the two-layer box head and
/// predictor, then torchvision's postprocessing and rescaling to the original image.
///
/// Sizes: `paddedSize` is the network input (the resized image padded to a multiple of 32), on which
/// anchors are laid; `resizedSize` is the image before padding, to which boxes are clipped and from
/// which RoIAlign's level scales are inferred; `originalSize` is the camera frame.
public struct DetectionHead: Sendable {
    public let configuration: LadonArchitecture.Detection
    let fpn: FeaturePyramid
    let rpn: RegionProposalNetwork
    let boxHead: BoxHead
    let postprocess: DetectionPostprocess

    /// Wall-clock milliseconds per part of one call.
    public struct Timings: Sendable {
        public var fpn = 0.0, rpn = 0.0, roiAlign = 0.0, boxHead = 0.0, postprocess = 0.0
        /// The part of `rpn` after its convolutions: anchors, top-k, decoding, NMS.
        public var proposalFiltering = 0.0
        /// Multiply-accumulates of the dense parts in the last call, for the benchmark's GFLOP/s.
        public var fpnWork = MultiplyAccumulates(), rpnWork = MultiplyAccumulates(), boxHeadWork = MultiplyAccumulates()
        public init() {}
        public var total: Double { fpn + rpn + roiAlign + boxHead + postprocess }
    }

    init(_ scope: WeightScope, inChannels: [Int], head: LadonArchitecture.Detection) throws(WeightsError) {
        configuration = head
        let channels = head.fpnChannels
        fpn = try FeaturePyramid(scope.child("fpn"), inChannels: inChannels, channels: channels)
        rpn = try RegionProposalNetwork(
            scope.child("rpn"), channels: channels,
            anchors: AnchorGenerator(sizes: head.anchorSizes, aspectRatios: head.aspectRatios),
            preNMSTopN: head.rpnPreNmsTopN, postNMSTopN: head.rpnPostNmsTopN, nmsThreshold: head.rpnNmsThreshold)
        boxHead = try BoxHead(
            scope.child("roi_heads"), channels: channels, bins: head.roiOutputSize,
            representation: head.representationSize, classes: head.numClasses)
        postprocess = DetectionPostprocess(
            scoreThreshold: head.boxScoreThreshold, nmsThreshold: head.boxNmsThreshold,
            detectionsPerImage: head.boxDetectionsPerImg)
    }

    /// Reads the head's weights under `prefix` (`detection_head` in a model file).
    public init(reader: WeightReader, prefix: String, inChannels: [Int], head: LadonArchitecture.Detection) throws(WeightsError) {
        try self.init(WeightScope(reader, prefix), inChannels: inChannels, head: head)
    }

    public func callAsFunction(
        features: TrunkFeatures, paddedSize: ImageSize, resizedSize: ImageSize,
        originalSize: ImageSize
    ) throws(DetectionError) -> [Detection] {
        var timings = Timings()
        return try detect(
            [features.decoded, features.layer2, features.layer3, features.layer4], paddedSize: paddedSize,
            resizedSize: resizedSize, originalSize: originalSize, timings: &timings)
    }

    /// Every stage of the head, for the tests: FPN outputs, proposals and detections.
    public struct Trace: Sendable {
        public var pyramid: [Tensor] = []
        public var proposals: [Box] = []
        public var detections: [Detection] = []
    }

    /// The head on features '0'..'3' (finest first), timing each part.
    public func detect(
        _ features: [Tensor], paddedSize: ImageSize, resizedSize: ImageSize, originalSize: ImageSize,
        timings: inout Timings
    ) throws(DetectionError) -> [Detection] {
        var trace = Trace()
        try run(
            features, paddedSize: paddedSize, resizedSize: resizedSize, originalSize: originalSize,
            timings: &timings, trace: &trace, keepsPyramid: false)
        return trace.detections
    }

    /// Median milliseconds of each part over `runs` calls after one warm-up call, and the last call's detections.
    public func medianTimings(
        _ features: [Tensor], paddedSize: ImageSize, resizedSize: ImageSize, originalSize: ImageSize,
        runs: Int
    ) throws(DetectionError) -> (Timings, [Detection]) {
        var samples: [Timings] = []
        var detections: [Detection] = []
        for _ in 0...max(1, runs) {
            var timings = Timings()
            detections = try detect(
                features, paddedSize: paddedSize, resizedSize: resizedSize, originalSize: originalSize,
                timings: &timings)
            samples.append(timings)
        }
        samples.removeFirst()
        func median(_ part: KeyPath<Timings, Double>) -> Double {
            let sorted = samples.map { $0[keyPath: part] }.sorted()
            return sorted[sorted.count / 2]
        }
        var result = Timings()
        (result.fpn, result.rpn, result.roiAlign) = (median(\.fpn), median(\.rpn), median(\.roiAlign))
        (result.boxHead, result.postprocess) = (median(\.boxHead), median(\.postprocess))
        result.proposalFiltering = median(\.proposalFiltering)
        let last = samples[samples.count - 1]
        (result.fpnWork, result.rpnWork, result.boxHeadWork) = (last.fpnWork, last.rpnWork, last.boxHeadWork)
        return (result, detections)
    }

    public func trace(
        _ features: [Tensor], paddedSize: ImageSize, resizedSize: ImageSize,
        originalSize: ImageSize
    ) throws(DetectionError) -> Trace {
        var timings = Timings()
        var trace = Trace()
        try run(
            features, paddedSize: paddedSize, resizedSize: resizedSize, originalSize: originalSize,
            timings: &timings, trace: &trace, keepsPyramid: true)
        return trace
    }

    private func run(
        _ features: [Tensor], paddedSize: ImageSize, resizedSize: ImageSize, originalSize: ImageSize,
        timings: inout Timings, trace: inout Trace, keepsPyramid: Bool
    ) throws(DetectionError) {
        var (allTimings, traces) = ([timings], [trace])
        let outcome = try run(
            features, sizes: [ImageSizes(padded: paddedSize, resized: resizedSize, original: originalSize)],
            timings: &allTimings, traces: &traces, keepsPyramid: keepsPyramid)
        (timings, trace) = (allTimings[0], traces[0])
        if let error = outcome[0] { throw error }
    }

    /// One frame's sizes (see the type's comment).
    public struct ImageSizes: Sendable {
        public var padded: ImageSize, resized: ImageSize, original: ImageSize
        public init(padded: ImageSize, resized: ImageSize, original: ImageSize) {
            (self.padded, self.resized, self.original) = (padded, resized, original)
        }
    }

    /// The head on a batch: features '0'..'3' of N frames ([N, Cᵢ, Hᵢ, Wᵢ] each, finest first) and each
    /// frame's sizes. The FPN and the RPN's convolutions run once on the batch; each frame's proposals,
    /// RoIAlign, box head and postprocessing run on its own slice with its own sizes, so a frame's
    /// detections are those it gets alone. Each frame's timings count the shared parts in full. One
    /// outcome per frame, in order: a frame with implausible sizes fails alone.
    public func detect(
        batch features: [Tensor], sizes: [ImageSizes], timings: inout [Timings]
    ) throws(DetectionError) -> [Result<[Detection], DetectionError>] {
        var traces = [Trace](repeating: Trace(), count: sizes.count)
        timings = [Timings](repeating: Timings(), count: sizes.count)
        let errors = try run(features, sizes: sizes, timings: &timings, traces: &traces, keepsPyramid: false)
        return zip(errors, traces).map { error, trace in error.map { .failure($0) } ?? .success(trace.detections) }
    }

    /// Throws when the features do not fit the head (every frame's failure); otherwise each frame's
    /// error, `nil` for those that ran.
    private func run(
        _ features: [Tensor], sizes: [ImageSizes], timings: inout [Timings], traces: inout [Trace], keepsPyramid: Bool
    ) throws(DetectionError) -> [DetectionError?] {
        try validate(features, images: sizes.count)
        var clock = DispatchTime.now().uptimeNanoseconds
        func lap() -> Double {
            let now = DispatchTime.now().uptimeNanoseconds
            defer { clock = now }
            return Double(now - clock) / 1e6
        }
        var work = MultiplyAccumulates.sinceStart
        func workLap() -> MultiplyAccumulates {
            let now = MultiplyAccumulates.sinceStart
            defer { work = now }
            return now - work
        }
        let pyramid = fpn(features)
        let fpnTime = lap()
        let fpnWork = workLap()
        let rpnOutputs = rpn.headOutputs(pyramid)
        let rpnConvolutions = lap()
        let rpnWork = workLap()
        var errors = [DetectionError?](repeating: nil, count: sizes.count)
        for (index, size) in sizes.enumerated() {
            timings[index].fpn += fpnTime
            timings[index].rpn += rpnConvolutions
            (timings[index].fpnWork, timings[index].rpnWork) = (fpnWork, rpnWork)
            do throws(DetectionError) {
                try validate(sizes: [("padded", size.padded), ("resized", size.resized), ("original", size.original)])
            } catch {
                errors[index] = error
                continue
            }
            _ = lap()
            let framePyramid = pyramid.map { $0.image(index) }
            try detectOne(
                framePyramid, rpnOutputs: rpnOutputs.map { $0.image(index) }, levels: features.count, size,
                timings: &timings[index], trace: &traces[index], lap: lap, workLap: workLap)
            if keepsPyramid { traces[index].pyramid = framePyramid }
        }
        return errors
    }

    /// One frame's part after the shared convolutions: proposals, RoIAlign, box head, postprocess.
    private func detectOne(
        _ pyramid: [Tensor], rpnOutputs: [Tensor], levels: Int, _ size: ImageSizes, timings: inout Timings, trace: inout Trace,
        lap: () -> Double, workLap: () -> MultiplyAccumulates
    ) throws(DetectionError) {
        let proposals = rpn.proposals(headOutputs: rpnOutputs, padded: size.padded, resized: size.resized)
        trace.proposals = proposals
        let filtering = lap()
        timings.proposalFiltering += filtering
        timings.rpn += filtering
        guard !proposals.isEmpty else { return }

        let pooledLevels = Array(pyramid.prefix(levels))
        let (scales, mapper) = LevelMapper.scales(
            featureHeights: pooledLevels.map { $0.dim(2) },
            imageHeight: size.resized.height)
        let pooled = RoIAlign.pooledChannelsLast(
            levels: pooledLevels.map(RoIAlign.channelsLast), levelOf: proposals.map { min(mapper.level(of: $0), pooledLevels.count - 1) },
            boxes: proposals, scales: scales, bins: configuration.roiOutputSize, samplingRatio: configuration.samplingRatio)
        timings.roiAlign += lap()

        _ = workLap()
        let predictions = boxHead.predictions(boxHead.features(pooled))
        timings.boxHead += lap()
        timings.boxHeadWork = workLap()

        trace.detections = postprocess(
            predictions, proposals: proposals, classes: boxHead.classes,
            resized: size.resized, original: size.original)
        timings.postprocess += lap()
    }

    private func validate(sizes: [(String, ImageSize)]) throws(DetectionError) {
        for (what, size) in sizes where size.height <= 0 || size.width <= 0 {
            throw .badImageSize(what: what, size: size)
        }
    }

    /// Features of `images` frames, with the channels the FPN takes.
    private func validate(_ features: [Tensor], images: Int) throws(DetectionError) {
        let expected = fpn.inChannels
        guard features.count == expected.count else {
            throw .featureShape(name: "\(features.count) levels", shape: features.first?.shape ?? [])
        }
        for (index, feature) in features.enumerated() {
            guard feature.rank == 4, feature.dim(0) == images, feature.dim(2) > 0, feature.dim(3) > 0 else {
                throw .featureShape(name: "\(index)", shape: feature.shape)
            }
            guard feature.dim(1) == expected[index] else {
                throw .featureChannels(name: "\(index)", expected: expected[index], actual: feature.dim(1))
            }
        }
    }
}
