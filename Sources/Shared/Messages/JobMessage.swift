/// What the broker hands a worker (proto `Job`): the node's Latent bytes as they arrived, never
/// re-encoded, and the time the frame spent before the worker, which the worker's Result lists first.
public struct JobMessage: Sendable, Equatable {
    public static let maximumSize = LatentMessage.maximumSize + (64 << 10)

    public var latent: [UInt8]
    public var stagesBefore: [StageTiming]
    /// The worker puts the Latent's bytes into its Result (`ladon-edge serve --keep-latents`).
    public var keepsLatent: Bool
    /// The broker's number for this Job, repeated in its Answer (a worker may hold several Jobs).
    public var jobID: UInt64

    public init(latent: [UInt8], stagesBefore: [StageTiming], keepsLatent: Bool = false, jobID: UInt64 = 0) {
        self.latent = latent
        self.stagesBefore = stagesBefore
        self.keepsLatent = keepsLatent
        self.jobID = jobID
    }
}

/// A worker's answer to a Job (proto `Answer`): the Result bytes the broker forwards to the sink as
/// they are, whether that Result reports an error, and its timings (the broker's stage metrics), so
/// the broker never parses a Result.
public struct AnswerMessage: Sendable, Equatable {
    public static let maximumSize = ResultMessage.maximumSize + (64 << 10)

    public var result: [UInt8]
    public var failed: Bool
    /// The Result's timings; empty from a worker that predates the field.
    public var timings: [StageTiming]
    /// The Job's `jobID`; 0 when the Job's bytes did not parse or the worker predates the field.
    public var jobID: UInt64

    public init(result: [UInt8], failed: Bool, timings: [StageTiming] = [], jobID: UInt64 = 0) {
        self.result = result
        self.failed = failed
        self.timings = timings
        self.jobID = jobID
    }

    /// Serialises `result` for the broker, as the answer to Job `jobID`.
    public init(_ result: ResultMessage, jobID: UInt64 = 0) {
        self.init(result: result.serialized(), failed: result.error != nil, timings: result.timings, jobID: jobID)
    }
}
