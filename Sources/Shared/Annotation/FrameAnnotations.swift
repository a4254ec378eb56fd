/// What an annotated image shows for one frame, whichever way the result arrived (a pipeline Result,
/// `ladon-edge infer`'s answer, a saved result file): the top class, the detections and the label map,
/// all in the frame's own pixels.
public struct FrameAnnotations: Sendable, Equatable {
    /// The size of the frame the result describes; the image drawn on must have it.
    public var size: ImageSize
    /// The most probable class, when classification ran.
    public var top: ClassScore?
    /// Boxes in frame pixels, most confident first as the edge sends them.
    public var objects: [DetectedObject]
    /// Row-major class labels at `size`, when segmentation ran (0 is background).
    public var labels: [UInt8]?

    public init(size: ImageSize, top: ClassScore? = nil, objects: [DetectedObject] = [], labels: [UInt8]? = nil) {
        precondition(labels.map { $0.count == size.height * size.width } ?? true, "a label map must cover the frame")
        self.size = size
        self.top = top
        self.objects = objects
        self.labels = labels
    }

    /// A pipeline Result; a label map of another size than the frame is left out.
    public init(_ result: ResultMessage) {
        let map = result.segmentation.flatMap { $0.size == result.originalSize ? $0.labels : nil }
        self.init(size: result.originalSize, top: result.classification?.first, objects: result.detections ?? [], labels: map)
    }

    /// The edge's answer for one frame (`ladon-edge infer`).
    public init(_ result: FrameResult) {
        let map = result.segmentation.flatMap { $0.size == result.originalSize ? $0.labels : nil }
        self.init(
            size: result.originalSize,
            top: result.classification?.top5.first.map { ClassScore(classIndex: $0.index, name: $0.name, probability: $0.probability) },
            objects: (result.detections ?? []).compactMap { object in
                guard object.box.count == 4 else { return nil }
                return DetectedObject(
                    box: Box(x1: object.box[0], y1: object.box[1], x2: object.box[2], y2: object.box[3]),
                    label: object.label, name: object.name, score: object.score)
            },
            labels: map)
    }
}
