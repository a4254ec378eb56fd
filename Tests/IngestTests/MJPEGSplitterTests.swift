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
