/// What the edge answered for one frame (proto `Result`): each task's output when that task ran,
/// or an error text when the frame could not be processed.
public struct ResultMessage: Sendable, Equatable {
    /// Parsers refuse larger input (a worst-case noisy segmentation map of a large frame stays far below).
    public static let maximumSize = 32 << 20

    public var nodeID: String
    public var sequence: UInt64
    /// Capture time of the frame, microseconds since the Unix epoch (end-to-end latency starts here).
    public var captureTimeMicroseconds: Int64
    public var model: ModelIdentity
    public var originalSize: ImageSize
    /// Top-k, most probable first; `nil` when classification did not run.
    public var classification: [ClassScore]?
    /// `nil` when detection did not run; empty when it ran and found nothing.
    public var detections: [DetectedObject]?
    public var segmentation: SegmentationMap?
    /// Per-stage wall-clock times in pipeline order.
    public var timings: [StageTiming]
    /// Size of the coded latent that crossed the link.
    public var latentBytes: UInt64
    /// Frames the node dropped before this one.
    public var droppedBefore: UInt64
    /// Why the frame has no results; `nil` on success.
    public var error: String?
    /// The frame's source name (`LatentMessage.source`), also on error results; empty when unknown.
    public var source: String

    public init(
        nodeID: String, sequence: UInt64, captureTimeMicroseconds: Int64, model: ModelIdentity,
        originalSize: ImageSize, classification: [ClassScore]? = nil, detections: [DetectedObject]? = nil,
        segmentation: SegmentationMap? = nil, timings: [StageTiming] = [], latentBytes: UInt64 = 0,
        droppedBefore: UInt64 = 0, error: String? = nil, source: String = ""
    ) {
        self.nodeID = nodeID
        self.sequence = sequence
        self.captureTimeMicroseconds = captureTimeMicroseconds
        self.model = model
        self.originalSize = originalSize
        self.classification = classification
        self.detections = detections
        self.segmentation = segmentation
        self.timings = timings
        self.latentBytes = latentBytes
        self.droppedBefore = droppedBefore
        self.error = error
        self.source = source
    }
}

/// One classification top-k entry.
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

/// A detection with its class name, box in original-image pixels.
public struct DetectedObject: Sendable, Equatable {
    public var box: Box
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
