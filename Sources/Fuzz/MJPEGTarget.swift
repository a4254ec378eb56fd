import LadonIngest
import Shared

/// Target `mjpeg`: the ingest's Motion-JPEG splitter on stdin, with a 4 KiB frame limit so oversized
/// frames occur. The input is fed in chunks of 1 to 64 bytes whose sizes come from a generator seeded
/// by the input, as reads from a pipe would split it.
///
/// Invariants: the frames do not depend on how the stream was cut (fed whole, the same frames come
/// out); each frame runs from SOI to EOI and fits the limit; every byte is either in a frame or
/// counted as skipped; what the splitter holds stays below the limit plus one marker segment and one chunk.
enum MJPEGTarget {
    static let maximumFrameBytes = 4096

    static func run(_ bytes: [UInt8]) -> FuzzOutcome {
        var chunked = MJPEGSplitter(maximumFrameBytes: maximumFrameBytes)
        var frames: [[UInt8]] = []
        var generator = SplitMix64(seed: bytes.prefix(8).reduce(UInt64(bytes.count)) { $0 << 8 | UInt64($1) })
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 1 + Int(generator.next() % 64))
            frames += chunked.append(bytes[offset..<end])
            check(
                chunked.pendingBytes <= maximumFrameBytes + 2 + 65_537 + 64,
                "the splitter holds \(chunked.pendingBytes) bytes with a \(maximumFrameBytes)-byte frame limit")
            offset = end
        }
        chunked.finish()
        var whole = MJPEGSplitter(maximumFrameBytes: maximumFrameBytes)
        let unchunked = whole.append(bytes)
        whole.finish()
        check(
            frames == unchunked,
            "frames of \(frames.map(\.count)) bytes from chunks, of \(unchunked.map(\.count)) from the whole stream")
        check(chunked.skippedBytes == whole.skippedBytes, "skipped \(chunked.skippedBytes) bytes in chunks, \(whole.skippedBytes) whole")
        for frame in frames {
            check(frame.count <= maximumFrameBytes, "a \(frame.count)-byte frame passed the \(maximumFrameBytes)-byte limit")
            check(frame.starts(with: [0xFF, 0xD8]) && frame.suffix(2) == [0xFF, 0xD9], "a frame without SOI and EOI")
        }
        let framed = frames.reduce(0) { $0 + $1.count }
        check(framed + chunked.skippedBytes == bytes.count, "\(framed) bytes framed and \(chunked.skippedBytes) skipped of \(bytes.count)")
        return frames.isEmpty ? .refused("no frame") : .accepted
    }
}
