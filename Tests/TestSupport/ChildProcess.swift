import Foundation
import Shared

/// A built executable running in the background, its output going to files (so a chatty child never
/// blocks on a full pipe): in `logs` when given, else in a folder of its own removed with it. The one
/// way tests start a stage: `wait(timeout:)` for one that ends by itself, `stop()` (in a `defer`) for
/// one that serves; both kill what does not exit in time, so a broken stage fails its test instead of
/// hanging it.
public final class ChildProcess {
    public let name: String
    public let process: Process
    private let outputURL: URL
    private let errorURL: URL
    private let ownFolder: URL?

    /// Starts `name` (a built product, or the program at `systemPath`, e.g. a broker from a Debian
    /// package) with `arguments`, behind `launcher` when given (a command that runs the rest and becomes
    /// it, as `ip netns exec` does, so `pid` is the stage's).
    public init(_ name: String, _ arguments: [String], logs folder: URL? = nil, launcher: [String] = [], systemPath: String? = nil) throws {
        self.name = name
        ownFolder = folder == nil ? try Executables.temporaryFolder() : nil
        let directory = folder ?? ownFolder!
        let stem = "\(name)-\(UUID().uuidString.prefix(6))"
        outputURL = directory.appendingPathComponent("\(stem).out")
        errorURL = directory.appendingPathComponent("\(stem).err")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        process =
            systemPath.map { Process.launching($0, arguments, behind: launcher) } ?? Executables.process(name, arguments, launcher: launcher)
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        if let ownFolder { try? FileManager.default.removeItem(at: ownFolder) }
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

    /// Waits for the exit, SIGKILL after `timeout` seconds, and returns the status and both streams.
    @discardableResult
    public func wait(timeout: Double = 30) -> (status: Int32, output: String, error: String) {
        if !waitForExit(timeout: timeout) { kill(pid, SIGKILL) }
        process.waitUntilExit()
        return (process.terminationStatus, standardOutput, standardError)
    }

    public func signal(_ number: Int32) { if process.isRunning { kill(pid, number) } }

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
    public static func children(of parent: Int32) -> [Int32] { ProcessTable.children(of: parent) }
}
