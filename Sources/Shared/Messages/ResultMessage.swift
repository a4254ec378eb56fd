/// What the edge answered for one frame (proto `Result`): each task's output when that task ran,
/// or an error text when the frame could not be processed. The one result model: the worker makes it,
/// the sink publishes, saves and draws it, the evaluator scores it, and its JSON reads back into it.
public struct ResultMessage: Sendable, Equatable {
    /// Parsers refuse larger input (a worst-case noisy segmentation map of a large frame stays far below).
    public static let maximumSize = 32 << 20

    public var header: FrameHeader
    public var model: ModelIdentity
    public var originalSize: ImageSize
    public var tasks: TaskResults
    /// Per-stage wall-clock times in pipeline order.
    public var timings: [StageTiming]
    /// Size of the coded latent that crossed the link.
    public var latentBytes: UInt64
    /// Why the frame has no results; `nil` on success.
    public var error: String?
    /// The serialized Latent this Result answers, where the edge keeps latents; the sink stores it and
    /// publishes the Result without it (`withoutLatent`).
    public var latent: [UInt8]?

    public init(
        header: FrameHeader, model: ModelIdentity, originalSize: ImageSize, tasks: TaskResults = TaskResults(),
        timings: [StageTiming] = [], latentBytes: UInt64 = 0, error: String? = nil, latent: [UInt8]? = nil
    ) {
        self.header = header
        self.model = model
        self.originalSize = originalSize
        self.tasks = tasks
        self.timings = timings
        self.latentBytes = latentBytes
        self.error = error
        self.latent = latent
    }

    /// This Result as subscribers get it: without the latent it may carry.
    public var withoutLatent: ResultMessage {
        var copy = self
        copy.latent = nil
        return copy
    }
}

/// The answers of the heads that ran on one frame, in original-image pixels; a task that did not run is `nil`.
public struct TaskResults: Sendable, Equatable {
    public var classification: Classification?
    /// Empty when detection ran and found nothing.
    public var detections: [DetectedObject]?
    public var segmentation: SegmentationMap?

    public init(classification: Classification? = nil, detections: [DetectedObject]? = nil, segmentation: SegmentationMap? = nil) {
        self.classification = classification
        self.detections = detections
        self.segmentation = segmentation
    }
}

/// The classification head's answer: the top classes, most probable first.
public struct Classification: Sendable, Equatable {
    public var top: [ClassScore]
    /// Every class's logit, where the head ran in this process (`ladon-edge infer`); the wire carries only `top`.
    public var logits: [Float]?

    public init(top: [ClassScore], logits: [Float]? = nil) {
        self.top = top
        self.logits = logits
    }
}

/// One classification entry.
public struct ClassScore: Sendable, Equatable {
    public var classIndex: Int
    public var name: String
    public var probability: Float

    public init(classIndex: Int, name: String, probability: Float) {
        self.classIndex = classIndex
        self.name = name
        self.probability = probability
    }
}

/// One detected object, its box in original-image pixels.
public struct DetectedObject: Sendable, Equatable {
    public var box: Box
    /// Class index into the head's class names (0 is background and never reported).
    public var label: Int
    public var name: String
    public var score: Float

    public init(box: Box, label: Int, name: String, score: Float) {
        self.box = box
        self.label = label
        self.name = name
        self.score = score
    }
}

/// Wall-clock milliseconds one stage spent on a frame.
public struct StageTiming: Sendable, Equatable {
    public var stage: String
    public var milliseconds: Double

    public init(stage: String, milliseconds: Double) {
        self.stage = stage
        self.milliseconds = milliseconds
    }
}
