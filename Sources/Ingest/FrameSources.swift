import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// One whole JPEG from a source and the name it travels under (`FrameMessage.source`).
public struct SourcedFrame: Sendable, Equatable {
    public var jpeg: [UInt8]
    /// A file's base name (`val-00003.jpg`); empty when the source has no names (a stream).
    public var name: String

    public init(jpeg: [UInt8], name: String = "") {
        self.jpeg = jpeg
        self.name = name
    }
}

/// Where ingest gets JPEG frames. `next` returns the next whole JPEG, or `nil` at the end of the
/// source; it may wait (a live stream) but returns within about 50 ms when `shouldStop` turns true.
public protocol FrameSource {
    /// Whether frames come as fast as they are asked for (files) rather than at the producer's pace.
    var isOnDemand: Bool { get }
    mutating func next(shouldStop: () -> Bool) throws -> SourcedFrame?
    /// Counts worth reporting at exit (skipped bytes, unreadable files), as `key=value` text.
    var report: String { get }
}

/// JPEG files in a fixed order: one file, a directory's `*.jpg`/`*.jpeg`, or a glob (`*`, `?`, `[...]`
/// in the last path component), sorted by path; `loop` starts again after the last one.
public struct FileSequenceSource: FrameSource {
    public let paths: [String]
    public let loop: Bool
    private var index = 0
    private var unreadable = 0
    private var readSincePassStart = 0
    private let log = Logger(label: "ladon-ingest")

    public init(pattern: String, loop: Bool) throws(IngestError) {
        paths = try Self.expand(pattern)
        self.loop = loop
    }

    public var isOnDemand: Bool { true }

    public mutating func next(shouldStop: () -> Bool) throws -> SourcedFrame? {
        while !shouldStop() {
            if index == paths.count {
                // A loop over files that all fail to read would spin forever: end instead.
                guard loop, readSincePassStart > 0 else { return nil }
                index = 0
                readSincePassStart = 0
            }
            let path = paths[index]
            index += 1
            do {
                let bytes = try FileIO.read(path, what: "frame", limit: FrameMessage.maximumSize - 1024)
                readSincePassStart += 1
                return SourcedFrame(jpeg: bytes, name: URL(fileURLWithPath: path).lastPathComponent)
            } catch {
                unreadable += 1
                log.warning("skipping a frame file", ["error": error])
            }
        }
        return nil
    }

    public var report: String { "files=\(paths.count) unreadable=\(unreadable)" }

    /// The sorted JPEG paths a file, directory or glob names.
    public static func expand(_ pattern: String) throws(IngestError) -> [String] {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: pattern, isDirectory: &isDirectory)
        let paths: [String]
        if exists && !isDirectory.boolValue {
            paths = [pattern]
        } else if exists {
            paths = try list(
                pattern,
                matching: { name in
                    let lower = name.lowercased()
                    return lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg")
                })
        } else if pattern.contains(where: { "*?[".contains($0) }) {
            let url = URL(fileURLWithPath: pattern)
            let folder = url.deletingLastPathComponent().path
            let glob = url.lastPathComponent
            paths = try list(folder, matching: { fnmatch(glob, $0, 0) == 0 })
        } else {
            throw .invalidSource(pattern, reason: "no such file or directory")
        }
        guard !paths.isEmpty else { throw .noFrames(source: pattern) }
        return paths
    }

    private static func list(_ folder: String, matching: (String) -> Bool) throws(IngestError) -> [String] {
        do {
            let names = try FileManager.default.contentsOfDirectory(atPath: folder)
            return names.filter { !$0.hasPrefix(".") && matching($0) }.sorted()
                .map { URL(fileURLWithPath: folder).appendingPathComponent($0).path }
        } catch {
            throw .invalidSource(folder, reason: "cannot list the directory")
        }
    }
}

/// An MJPEG byte stream on a file descriptor (stdin by default), split by `MJPEGSplitter`. Frames come
/// at the producer's pace; `next` returns each complete frame in order and the ingest loop decides what
/// to drop.
public struct MJPEGStreamSource: FrameSource {
    private let descriptor: Int32
    private var splitter: MJPEGSplitter
    private var ready: [[UInt8]] = []
    private var ended = false
    private var chunk = [UInt8](repeating: 0, count: 64 << 10)

    public init(descriptor: Int32 = STDIN_FILENO, maximumFrameBytes: Int = FrameMessage.maximumSize - 1024) {
        self.descriptor = descriptor
        splitter = MJPEGSplitter(maximumFrameBytes: maximumFrameBytes)
    }

    public var isOnDemand: Bool { false }

    public mutating func next(shouldStop: () -> Bool) throws -> SourcedFrame? {
        while ready.isEmpty && !ended {
            if shouldStop() { return nil }
            var item = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let polled = poll(&item, 1, 50)
            if polled < 0 {
                if errno == EINTR { continue }
                throw IngestError.readFailed(source: "stdin", code: errno)
            }
            if polled == 0 { continue }
            let count = read(descriptor, &chunk, chunk.count)
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw IngestError.readFailed(source: "stdin", code: errno)
            }
            if count == 0 {
                splitter.finish()
                ended = true
            } else {
                ready.append(contentsOf: splitter.append(chunk[..<count]))
            }
        }
        return ready.isEmpty ? nil : SourcedFrame(jpeg: ready.removeFirst())
    }

    public var report: String {
        "skipped_bytes=\(splitter.skippedBytes) broken_frames=\(splitter.brokenFrames) oversized_frames=\(splitter.oversizedFrames)"
    }
}
