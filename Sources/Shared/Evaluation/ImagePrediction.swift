import Foundation

/// A model's answers for one image in the model's own labels: from a `FrameResult` in process, or
/// from the JSON (and mask PNG) `ladon-edge infer` wrote.
public struct ImagePrediction: Sendable {
    public struct LabelMap: Sendable {
        public var labels: [UInt8]
        public var size: ImageSize
        public var classNames: [String]

        public init(labels: [UInt8], size: ImageSize, classNames: [String]) {
            (self.labels, self.size, self.classNames) = (labels, size, classNames)
        }
    }

    public var topClass: FrameResult.ClassScore?
    public var detections: [FrameResult.DetectedObject]?
    public var segmentation: LabelMap?

    public init(topClass: FrameResult.ClassScore?, detections: [FrameResult.DetectedObject]?, segmentation: LabelMap?) {
        self.topClass = topClass
        self.detections = detections
        self.segmentation = segmentation
    }

    public init(_ result: FrameResult) {
        topClass = result.classification?.top5.first
        detections = result.detections
        segmentation = result.segmentation.map { LabelMap(labels: $0.labels, size: $0.size, classNames: $0.classNames) }
    }

    /// Reads a result JSON; `mask` is the label map PNG written beside it by `--mask`, if any.
    public init(resultJSON data: Data, path: String, mask: (labels: [UInt8], size: ImageSize)?) throws(EvaluationError) {
        let document: ResultFile
        do {
            document = try JSONDecoder().decode(ResultFile.self, from: data)
        } catch {
            throw .badResult(path: path, reason: "not a ladon-edge result JSON (\(error))")
        }
        topClass = document.classification?.top5.first.map { FrameResult.ClassScore(index: $0.class, name: $0.name, probability: $0.prob) }
        if let length = document.malformedBoxLength {
            throw .badResult(path: path, reason: "a detection box has \(length) numbers")
        }
        detections = document.detection?.map {
            FrameResult.DetectedObject(box: $0.box, label: $0.label, name: $0.name, score: $0.score)
        }
        if let mask {
            segmentation = LabelMap(labels: mask.labels, size: mask.size, classNames: document.segmentation?.classes ?? [])
        }
    }
}
