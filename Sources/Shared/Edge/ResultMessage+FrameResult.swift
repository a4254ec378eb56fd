/// How the edge turns its answer for one latent into the `Result` that travels to the sink.
extension ResultMessage {
    /// A successful frame: classification top-5, detections, the segmentation label map (sent RLE),
    /// `stagesBefore` (what happened before the worker: the node's share, the broker queue), then the
    /// worker's own stages.
    public init(_ result: FrameResult, latent: LatentMessage, stagesBefore: [StageTiming] = []) {
        self.init(
            nodeID: latent.nodeID, sequence: latent.sequence, captureTimeMicroseconds: latent.captureTimeMicroseconds,
            model: latent.model, originalSize: latent.originalSize,
            classification: result.classification.map { head in
                head.top5.map { ClassScore(classIndex: $0.index, name: $0.name, probability: $0.probability) }
            },
            detections: result.detections.map { objects in
                objects.map { object in
                    DetectedObject(
                        box: Box(x1: object.box[0], y1: object.box[1], x2: object.box[2], y2: object.box[3]),
                        label: object.label, name: object.name, score: object.score)
                }
            },
            segmentation: result.segmentation.map { map in
                SegmentationMap(size: map.size, labels: map.labels, classNames: map.classNames)
            },
            timings: stagesBefore + result.timings.stages.map { StageTiming(stage: $0.name, milliseconds: $0.milliseconds) },
            latentBytes: UInt64(latent.coded.count), droppedBefore: latent.droppedBefore, source: latent.source)
    }

    /// A frame the edge could not answer, for a latent it could parse.
    public init(failed latent: LatentMessage, error: String, stagesBefore: [StageTiming] = []) {
        self.init(
            nodeID: latent.nodeID, sequence: latent.sequence, captureTimeMicroseconds: latent.captureTimeMicroseconds,
            model: latent.model, originalSize: latent.originalSize, timings: stagesBefore,
            latentBytes: UInt64(latent.coded.count), droppedBefore: latent.droppedBefore, error: error,
            source: latent.source)
    }

    /// A message from `nodeID` that was not a usable latent: only the sender and the size are known.
    public init(unparsedFrom nodeID: String, bytes: Int, error: String) {
        self.init(
            nodeID: nodeID, sequence: 0, captureTimeMicroseconds: 0,
            model: ModelIdentity(backbone: "", beta: 0, weightsHash: 0), originalSize: ImageSize(height: 0, width: 0),
            latentBytes: UInt64(bytes), error: error)
    }

    /// The topics the sink publishes this result under: one per task that ran, then `<node>/all`.
    public var topics: [String] {
        var tasks: [String] = []
        if classification != nil { tasks.append("classification") }
        if detections != nil { tasks.append("detection") }
        if segmentation != nil { tasks.append("segmentation") }
        return (tasks + ["all"]).map { "\(nodeID)/\($0)" }
    }
}
