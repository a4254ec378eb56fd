import Foundation
import Shared
import Testing

/// Output files: atomic for regular files, in place for a device or pipe a user names as the output.
@Suite struct FileIOTests {
    @Test func writingToAPipeWritesThroughItAndLeavesItAPipe() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fileio-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pipe = folder.appendingPathComponent("out.fifo").path
        #expect(mkfifo(pipe, 0o600) == 0)
        // The reader opens the pipe on its own thread: opening one end blocks until the other is open.
        let received = ReceivedBytes()
        let reader = Thread {
            if let handle = FileHandle(forReadingAtPath: pipe) { received.set(handle.readDataToEndOfFile()) }
        }
        reader.start()
        try FileIO.write(Data("{\"ok\":true}\n".utf8), to: pipe, what: "result JSON")
        #expect(received.wait(seconds: 5) == Data("{\"ok\":true}\n".utf8))
        var status = stat()
        #expect(stat(pipe, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
    }

    @Test func aRegularFileIsReplacedWhole() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fileio-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileIO.write(Data("a longer first version".utf8), to: path)
        try FileIO.write(Data("short".utf8), to: path)
        #expect(try FileIO.read(path, what: "file") == Array("short".utf8))
    }
}

/// The bytes a reader thread got, handed to the test thread.
private final class ReceivedBytes: @unchecked Sendable {
    private let condition = NSCondition()
    private var data: Data?

    func set(_ bytes: Data) {
        condition.withLock {
            data = bytes
            condition.signal()
        }
    }

    func wait(seconds: Double) -> Data? {
        condition.withLock {
            let deadline = Date().addingTimeInterval(seconds)
            while data == nil, condition.wait(until: deadline) {}
            return data
        }
    }
}
