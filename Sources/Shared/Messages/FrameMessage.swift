/// One captured frame from ingest to encoder (proto `Frame`).
public struct FrameMessage: Sendable, Equatable {
    /// Parsers refuse larger input: a JPEG frame of this size is far beyond any camera we serve.
    public static let maximumSize = 16 << 20

    public var nodeID: String
    public var sequence: UInt64
    /// Microseconds since the Unix epoch.
    public var captureTimeMicroseconds: Int64
    /// The JPEG file bytes (never empty).
    public var jpeg: [UInt8]
    /// Frames ingest dropped since the previous one it sent, because the encoder was busy.
    public var droppedBefore: UInt64
    /// Where the frame came from: a file source's base name (`val-00003.jpg`); empty when unknown (a stream).
    public var source: String

    public init(
        nodeID: String, sequence: UInt64, captureTimeMicroseconds: Int64, jpeg: [UInt8], droppedBefore: UInt64 = 0,
        source: String = ""
    ) {
        self.nodeID = nodeID
        self.sequence = sequence
        self.captureTimeMicroseconds = captureTimeMicroseconds
        self.jpeg = jpeg
        self.droppedBefore = droppedBefore
        self.source = source
    }
}
