import Foundation

/// A built executable running in the background, its output going to files in a folder (so a chatty
/// child never blocks on a full pipe). Call `stop()` in a `defer`: SIGTERM, then SIGKILL after a grace.
public final class ChildProcess {
    public let name: String
    public let process: Process
    private let outputURL: URL
    private let errorURL: URL

    public init(_ name: String, _ arguments: [String], logs folder: URL) throws {
        self.name = name
        let stem = "\(name)-\(UUID().uuidString.prefix(6))"
        outputURL = folder.appendingPathComponent("\(stem).out")
        errorURL = folder.appendingPathComponent("\(stem).err")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        process = Executables.process(name, arguments)
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    public var standardOutput: String { (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "" }
    public var standardError: String { (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "" }

    /// Waits up to `timeout` seconds for the process to exit on its own; `true` when it did.
    @discardableResult
    public func waitForExit(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return !process.isRunning
    }

    /// SIGTERM, up to `grace` seconds to exit cleanly, then SIGKILL. Idempotent.
    public func stop(grace: Double = 5) {
        guard process.isRunning else { return }
        process.terminate()
        if !waitForExit(timeout: grace) {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The processes whose parent is `parent` (Linux: read from /proc).
    public static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            // Fields after the command name: state, ppid, ...
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == parent
        }.sorted()
    }
}
