import Shared

/// What an annotated image shows for one frame, whichever way its Result arrived (the pipeline,
/// `ladon-edge infer`, a saved result file): the top class, the detections and the label map,
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
    /// The label map's class names, indexed by label (the legend's names); may be empty.
    public var classNames: [String]

    public init(
        size: ImageSize, top: ClassScore? = nil, objects: [DetectedObject] = [], labels: [UInt8]? = nil, classNames: [String] = []
    ) {
        precondition(labels.map { $0.count == size.height * size.width } ?? true, "a label map must cover the frame")
        self.size = size
        self.top = top
        self.objects = objects
        self.labels = labels
        self.classNames = classNames
    }

    /// A frame's Result (from the pipeline, `ladon-edge infer`, or a saved result file read back); a
    /// label map of another size than the frame is left out.
    public init(_ result: ResultMessage) {
        let tasks = result.tasks
        let map = tasks.segmentation.flatMap { $0.size == result.originalSize ? $0 : nil }
        self.init(
            size: result.originalSize, top: tasks.classification?.top.first, objects: tasks.detections ?? [], labels: map?.labels,
            classNames: map?.classNames ?? [])
    }
}
