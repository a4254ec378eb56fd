/// A frame's identity from camera to result (proto `FrameHeader`): ingest sets it, the encoder adds its
/// own drops, and the Latent and the Result carry it unchanged.
public struct FrameHeader: Sendable, Equatable {
    public var nodeID: String
    public var sequence: UInt64
    /// Capture time, microseconds since the Unix epoch (0 when unknown).
    public var captureTimeMicroseconds: Int64
    /// Where the frame came from: a file source's base name (`val-00003.jpg`); empty for a stream.
    public var source: String
    /// Frames the node dropped (encoder busy, no credit, bad frame) since the previous one it sent on.
    public var droppedBefore: UInt64

    public init(nodeID: String, sequence: UInt64, captureTimeMicroseconds: Int64 = 0, source: String = "", droppedBefore: UInt64 = 0) {
        self.nodeID = nodeID
        self.sequence = sequence
        self.captureTimeMicroseconds = captureTimeMicroseconds
        self.source = source
        self.droppedBefore = droppedBefore
    }
}
