/// One captured frame from ingest to encoder (proto `Frame`).
public struct FrameMessage: Sendable, Equatable {
    /// Parsers refuse larger input: a JPEG frame of this size is far beyond any camera we serve.
    public static let maximumSize = 16 << 20

    public var header: FrameHeader
    /// The JPEG file bytes (never empty).
    public var jpeg: [UInt8]

    public init(header: FrameHeader, jpeg: [UInt8]) {
        self.header = header
        self.jpeg = jpeg
    }
}
