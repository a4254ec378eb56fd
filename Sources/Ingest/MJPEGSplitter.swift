import Shared

/// Splits a Motion-JPEG byte stream (concatenated JPEG files, as `ffmpeg -f mjpeg -` or a camera tool
/// writes) into whole JPEG files.
///
/// It walks the marker structure rather than searching for the end marker, so an EXIF thumbnail
/// (a complete JPEG inside APP1) does not end the frame early: after SOI it skips each marker segment by
/// its length; after SOS it scans the entropy-coded data, where 0xFF is always followed by 0x00
/// (stuffing) or a restart marker, until another marker (EOI ends the frame; DHT/SOS of a progressive
/// JPEG continue it). Bytes outside frames, a frame broken mid-structure and a frame over
/// `maximumFrameBytes` are skipped and counted, and the splitter resynchronises on the next SOI.
///
/// Work is linear in the stream: bytes are dropped by moving `start`, and the buffer is compacted once
/// per `append` (dropping them one frame at a time cost a copy of the rest each time: a stream of
/// back-to-back SOI markers split at 2 MB/s). What it holds is at most `maximumFrameBytes`, plus one
/// marker segment (64 KiB) and the bytes of one `append`.
public struct MJPEGSplitter: Sendable {
    public let maximumFrameBytes: Int
    /// Bytes that were not part of any complete frame (garbage, broken or oversized frames).
    public private(set) var skippedBytes = 0
    public private(set) var oversizedFrames = 0
    public private(set) var brokenFrames = 0

    private enum State { case searching, segments, entropy }
    private var state = State.searching
    // Bytes before `start` are done with; while in a frame it starts at buffer[start], and `cursor` (an
    // index into buffer) is where parsing continues.
    private var buffer: [UInt8] = []
    private var start = 0
    private var cursor = 0

    public init(maximumFrameBytes: Int = FrameMessage.maximumSize - 1024) {
        self.maximumFrameBytes = maximumFrameBytes
    }

    /// Adds bytes and returns the frames they complete, in stream order.
    public mutating func append(_ bytes: some Sequence<UInt8>) -> [[UInt8]] {
        buffer.append(contentsOf: bytes)
        var frames: [[UInt8]] = []
        while let frame = nextFrame() { frames.append(frame) }
        buffer.removeFirst(start)
        cursor -= start
        start = 0
        return frames
    }

    /// The stream ended: a partial frame left in the buffer is counted as skipped.
    public mutating func finish() {
        if state != .searching && buffer.count > start { brokenFrames += 1 }
        skippedBytes += buffer.count - start
        buffer.removeAll()
        (start, cursor) = (0, 0)
        state = .searching
    }

    /// Bytes held for an incomplete frame.
    public var pendingBytes: Int { buffer.count - start }

    private mutating func nextFrame() -> [UInt8]? {
        while true {
            // At least the EOI marker follows the cursor: past this the frame cannot end within the limit.
            if state != .searching && cursor - start + 2 > maximumFrameBytes {
                oversizedFrames += 1
                resynchronise(after: 1)
                continue
            }
            switch state {
            case .searching:
                guard findStart() else { return nil }
            case .segments:
                guard cursor + 1 < buffer.count else { return nil }
                guard buffer[cursor] == 0xFF else {
                    brokenFrames += 1
                    resynchronise(after: 1)
                    continue
                }
                let marker = buffer[cursor + 1]
                switch marker {
                case 0xFF:  // fill byte before a marker
                    cursor += 1
                case 0xD9:  // EOI: the frame is complete
                    let end = cursor + 2
                    let frame = Array(buffer[start..<end])
                    (start, cursor) = (end, end)
                    state = .searching
                    return frame
                case 0xD8:  // SOI inside a frame: the previous frame was cut off
                    brokenFrames += 1
                    resynchronise(after: cursor - start)
                case 0x01, 0xD0...0xD7:  // markers without a length
                    cursor += 2
                default:
                    guard cursor + 3 < buffer.count else { return nil }
                    let length = Int(buffer[cursor + 2]) << 8 | Int(buffer[cursor + 3])
                    guard length >= 2 else {
                        brokenFrames += 1
                        resynchronise(after: 1)
                        continue
                    }
                    if marker == 0xDA {
                        // SOS is followed by entropy data, where a wrong length would go unnoticed: its
                        // length must match its component count (a frame cut inside its header fails here).
                        guard cursor + 4 < buffer.count else { return nil }
                        let components = Int(buffer[cursor + 4])
                        guard (1...4).contains(components), length == 6 + 2 * components else {
                            brokenFrames += 1
                            resynchronise(after: 1)
                            continue
                        }
                        state = .entropy
                    }
                    cursor += 2 + length
                }
            case .entropy:
                // A segment skip may point past the bytes received so far.
                guard cursor < buffer.count else { return nil }
                let found = buffer[cursor...].firstIndex(of: 0xFF)
                guard let found, found + 1 < buffer.count else {
                    // Scanned to the end of what arrived: wait for more, unless that already passed the
                    // limit (the check at the top, now, so the outcome does not depend on the chunking).
                    cursor = found ?? buffer.count
                    if cursor - start + 2 > maximumFrameBytes { continue }
                    return nil
                }
                switch buffer[found + 1] {
                case 0x00, 0xD0...0xD7: cursor = found + 2  // stuffed byte or restart marker
                case 0xFF: cursor = found + 1  // fill
                default:
                    cursor = found
                    state = .segments
                }
            }
        }
    }

    /// Looks for SOI (FF D8) and drops what precedes it; `false` when more bytes are needed.
    private mutating func findStart() -> Bool {
        var index = start
        while index + 1 < buffer.count {
            if buffer[index] == 0xFF && buffer[index + 1] == 0xD8 {
                skippedBytes += index - start
                (start, cursor) = (index, index + 2)
                state = .segments
                return true
            }
            index += 1
        }
        // Keep a trailing 0xFF: it may be the first half of the next SOI.
        let end = buffer.count - (buffer.last == 0xFF && buffer.count > start ? 1 : 0)
        skippedBytes += end - start
        (start, cursor) = (end, end)
        return false
    }

    /// Abandons the current frame: drops `count` bytes from its start and searches for the next SOI.
    private mutating func resynchronise(after count: Int) {
        let dropped = min(max(count, 1), buffer.count - start)
        skippedBytes += dropped
        start += dropped
        cursor = start
        state = .searching
    }
}
