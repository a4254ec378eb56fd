import Foundation
import LadonIngest
import Shared
import TestSupport
import Testing

/// A minimal structurally valid JPEG: SOI, an APP0 segment, SOS with entropy data holding a stuffed
/// 0xFF 0x00 and a restart marker, EOI. `thumbnail` embeds a whole JPEG inside an APP1 segment, as EXIF does.
func syntheticJPEG(tag: UInt8, thumbnail: [UInt8]? = nil) -> [UInt8] {
    var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x05, 0x4A, 0x46, tag]
    if let thumbnail {
        let length = thumbnail.count + 2
        bytes += [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + thumbnail
    }
    // SOS for one component (length 6 + 2 * 1), then the entropy-coded data.
    bytes += [0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, tag, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, tag, 0xFF, 0xD9]
    return bytes
}

@Suite struct MJPEGSplitterTests {
    @Test(arguments: [1, 3, 7, 64, 100_000])
    func concatenatedFramesComeOutWholeWhateverTheChunkSize(chunk: Int) {
        let frames = (0..<5).map { syntheticJPEG(tag: UInt8($0 + 1)) }
        let stream = frames.flatMap { $0 }
        var splitter = MJPEGSplitter()
        var found: [[UInt8]] = []
        var offset = 0
        while offset < stream.count {
            found += splitter.append(stream[offset..<min(offset + chunk, stream.count)])
            offset += chunk
        }
        #expect(found == frames)
        #expect(splitter.skippedBytes == 0 && splitter.pendingBytes == 0)
    }

    @Test func anEmbeddedThumbnailDoesNotEndTheFrameEarly() {
        let frame = syntheticJPEG(tag: 9, thumbnail: syntheticJPEG(tag: 4))
        var splitter = MJPEGSplitter()
        #expect(splitter.append(frame + syntheticJPEG(tag: 2)) == [frame, syntheticJPEG(tag: 2)])
    }

    @Test func garbageBetweenFramesAndACutOffFrameAreSkippedAndCounted() {
        let good = syntheticJPEG(tag: 1)
        let cut = Array(syntheticJPEG(tag: 2).prefix(9))  // SOI and APP0, then the next frame's SOI
        let garbage: [UInt8] = [0x00, 0x11, 0xFF, 0x22]
        var splitter = MJPEGSplitter()
        let found = splitter.append(garbage + good + cut + good + garbage)
        #expect(found == [good, good])
        #expect(splitter.brokenFrames == 1)
        #expect(splitter.skippedBytes == garbage.count + cut.count + garbage.count)
    }

    @Test func aFrameCutInsideASegmentLengthIsRecoveredFromOnceMoreBytesArrive() {
        // The cut frame ends in the middle of its SOS header, so a following frame's bytes are read as
        // that header's length; the structure check after the skip catches it and nothing else is lost.
        let cut = Array(syntheticJPEG(tag: 2).prefix(12))  // ends after the SOS length bytes
        let good = (0..<20).map { _ in syntheticJPEG(tag: 1) }
        var splitter = MJPEGSplitter()
        #expect(splitter.append(cut + good.flatMap { $0 }) == good)
        #expect(splitter.brokenFrames == 1)
    }

    @Test func aFrameOverTheLimitIsDroppedAndTheNextOneStillArrives() {
        let big = syntheticJPEG(tag: 1, thumbnail: [UInt8](repeating: 0x41, count: 3000))
        let small = syntheticJPEG(tag: 2)
        var splitter = MJPEGSplitter(maximumFrameBytes: 1000)
        #expect(splitter.append(big + small) == [small])
        #expect(splitter.oversizedFrames == 1)
    }

    /// SOI, SOS, `count` bytes of entropy-coded data without a 0xFF, EOI.
    static func frame(entropyBytes count: Int) -> [UInt8] {
        [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00] + [UInt8](repeating: 0x41, count: count) + [0xFF, 0xD9]
    }

    /// Feeds `stream` in chunks of `chunk` bytes; the frames and the most bytes the splitter held.
    static func split(_ stream: [UInt8], chunk: Int, into splitter: inout MJPEGSplitter) -> (frames: [[UInt8]], mostHeld: Int) {
        var (frames, mostHeld) = ([[UInt8]](), 0)
        for start in Swift.stride(from: 0, to: stream.count, by: chunk) {
            frames += splitter.append(stream[start..<min(start + chunk, stream.count)])
            mostHeld = max(mostHeld, splitter.pendingBytes)
        }
        splitter.finish()
        return (frames, mostHeld)
    }

    @Test func aFrameOverTheLimitOnStdinIsSkippedCountedAndNeverHeldWhole() {
        let huge = Self.frame(entropyBytes: 200_000)
        let small = syntheticJPEG(tag: 2)
        var splitter = MJPEGSplitter(maximumFrameBytes: 10_000)
        let (frames, mostHeld) = Self.split(huge + small + huge + small, chunk: 4096, into: &splitter)
        #expect(frames == [small, small])
        #expect(splitter.oversizedFrames == 2)
        #expect(splitter.skippedBytes == 2 * huge.count)
        // The limit and one read's worth, not the 200 kB frame.
        #expect(mostHeld <= 10_000 + 4096, "held \(mostHeld) bytes")
    }

    @Test func aFrameOfExactlyTheLimitPassesAndOneByteMoreIsDropped() {
        let frame = Self.frame(entropyBytes: 100)
        var atLimit = MJPEGSplitter(maximumFrameBytes: frame.count)
        #expect(atLimit.append(frame) == [frame])
        // Before, a frame could end two bytes past the limit: the EOI was not counted.
        var belowLimit = MJPEGSplitter(maximumFrameBytes: frame.count - 1)
        #expect(belowLimit.append(frame + syntheticJPEG(tag: 3)) == [syntheticJPEG(tag: 3)])
        #expect(belowLimit.oversizedFrames == 1)
    }

    /// A frame that passed the limit in the last bytes of the stream was only dropped when more bytes came,
    /// so the frames depended on how reads cut the stream: a frame holding small JPEGs in a segment
    /// (skipped while it was parsed, searched once it was dropped) gave them only when cut (found by fuzzing).
    @Test(arguments: [1, 7, 64, 4096, 1 << 20])
    func theFramesDoNotDependOnHowTheStreamIsCut(chunk: Int) {
        let inner = syntheticJPEG(tag: 5)
        let segment = inner + inner
        let outer: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE3, UInt8((segment.count + 2) >> 8), UInt8((segment.count + 2) & 0xFF)] + segment
        let stream = outer + Array(Self.frame(entropyBytes: 3000).dropFirst(2).dropLast(2))  // ends inside its scan
        var splitter = MJPEGSplitter(maximumFrameBytes: 1000)
        let (frames, _) = Self.split(stream, chunk: chunk, into: &splitter)
        #expect(frames == [inner, inner])
        #expect(splitter.oversizedFrames == 1)
        #expect(splitter.skippedBytes + 2 * inner.count == stream.count)
    }

    @Test func realSampleFramesSplitBackToTheFiles() throws {
        let folder = Fixtures.path("../../samples/frames")
        let paths = try FileSequenceSource.expand(folder)
        let files = try paths.map { try FileIO.read($0) }
        var splitter = MJPEGSplitter()
        #expect(splitter.append(files.flatMap { $0 }) == files)
    }
}

@Suite struct FileSequenceSourceTests {
    @Test func aDirectoryAndAGlobListJPEGsSortedByName() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["b.jpg", "a.JPEG", "c.jpg", "notes.txt", "10.jpg", ".hidden.jpg"] {
            try Data([0xFF]).write(to: folder.appendingPathComponent(name))
        }
        let names = try FileSequenceSource.expand(folder.path).map { URL(fileURLWithPath: $0).lastPathComponent }
        #expect(names == ["10.jpg", "a.JPEG", "b.jpg", "c.jpg"])
        let globbed = try FileSequenceSource.expand(folder.appendingPathComponent("*.jpg").path).map { URL(fileURLWithPath: $0).lastPathComponent }
        #expect(globbed == ["10.jpg", "b.jpg", "c.jpg"])
    }

    @Test func loopingStartsAgainAfterTheLastFile() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (index, name) in ["1.jpg", "2.jpg"].enumerated() {
            try Data([UInt8(index)]).write(to: folder.appendingPathComponent(name))
        }
        var source = try FileSequenceSource(pattern: folder.path, loop: true)
        let taken = try (0..<5).compactMap { _ in try source.next(shouldStop: { false }) }
        #expect(taken.map(\.jpeg) == [[0], [1], [0], [1], [0]])
        #expect(taken.map(\.name) == ["1.jpg", "2.jpg", "1.jpg", "2.jpg", "1.jpg"])
        var once = try FileSequenceSource(pattern: folder.path, loop: false)
        _ = try once.next(shouldStop: { false })
        _ = try once.next(shouldStop: { false })
        #expect(try once.next(shouldStop: { false }) == nil)
    }

    @Test func aMissingSourceIsNamed() {
        #expect(throws: IngestError.self) { try FileSequenceSource.expand("no-such-folder/*.jpg") }
    }
}
