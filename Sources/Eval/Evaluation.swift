import Shared

/// Accumulates a model's answers over a data set, image by image, in the data set's labels
/// (`LabelMatcher`): top-1 accuracy against the image-level class, COCO box mAP, and mIoU.
public struct Evaluation: Sendable {
    public let dataset: EvaluationDataset
    let classes: LabelMatcher, boxes: LabelMatcher, masks: LabelMatcher

    public private(set) var classified = 0, correct = 0
    public private(set) var detections: [BoxAveragePrecision.Detection] = []
    public private(set) var detectionImages = 0
    public private(set) var confusion = ConfusionMatrix()
    public private(set) var segmentedImages = 0
    /// Model class names that matched no data-set class, per task, as seen in the answers.
    public private(set) var unmatched: [String: Set<String>] = [:]

    public init(dataset: EvaluationDataset, matching: LabelMatching = .byName) {
        self.dataset = dataset
        classes = LabelMatcher(matching, task: .classification, labels: dataset.categories)
        boxes = LabelMatcher(matching, task: .detection, labels: dataset.categories)
        masks = LabelMatcher(matching, task: .segmentation, labels: dataset.maskClassNames)
    }

    /// Adds one image's answers (a Result's tasks, in the model's labels); `truthMask` is its ground-truth
    /// label mask when the data set has one.
    public mutating func add(
        _ image: EvaluationDataset.Image, _ prediction: TaskResults,
        truthMask: (labels: [UInt8], size: ImageSize)?
    ) throws(EvaluationError) {
        if let truth = image.imageClass, let top = prediction.classification?.top.first {
            classified += 1
            let label = classes.datasetLabel(modelIndex: top.classIndex, name: top.name)
            if label == nil { unmatched["classification", default: []].insert(top.name) }
            if label == truth { correct += 1 }
        }
        if let found = prediction.detections {
            detectionImages += 1
            for object in found {
                guard let category = boxes.datasetLabel(modelIndex: object.label, name: object.name) else {
                    unmatched["detection", default: []].insert(object.name)
                    continue
                }
                let (x1, y1, x2, y2) = (Double(object.box.x1), Double(object.box.y1), Double(object.box.x2), Double(object.box.y2))
                detections.append(
                    .init(
                        image: image.id, category: category,
                        box: .init(x: x1, y: y1, width: x2 - x1, height: y2 - y1), score: Double(object.score)))
            }
        }
        if let truth = truthMask, let map = prediction.segmentation {
            guard truth.size == map.size else {
                throw .sizeMismatch(image: image.fileName, mask: truth.size, prediction: map.size)
            }
            let lookup = (0..<256).map { label in
                let name = label < map.classNames.count ? map.classNames[label] : "\(label)"
                return masks.datasetLabel(modelIndex: label, name: name).map { min($0, 255) } ?? ConfusionMatrix.unmatched
            }
            for label in Set(map.labels) where lookup[Int(label)] == ConfusionMatrix.unmatched {
                unmatched["segmentation", default: []].insert(Int(label) < map.classNames.count ? map.classNames[Int(label)] : "\(label)")
            }
            confusion.add(truth: truth.labels, predicted: map.labels.map { lookup[Int($0)] })
            segmentedImages += 1
        }
    }

    public var topOneAccuracy: Double? { classified == 0 ? nil : Double(correct) / Double(classified) }

    /// Box AP over every image of the data set (images without detections count as such).
    public var boxAveragePrecision: BoxAveragePrecision {
        let truth = Dictionary(uniqueKeysWithValues: dataset.images.map { ($0.id, $0.objects) })
        return BoxAveragePrecision(groundTruth: truth, detections: detections, categoryIDs: Array(dataset.categories.keys))
    }
}
