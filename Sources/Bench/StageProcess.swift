import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// One pipeline process a benchmark started from its own build (`ladon-edge`, `ladon-sink`, ...), its
/// output in two files (a chatty child never blocks on a full pipe), told to stop should the benchmark
/// die (`ParentProcess`). `stop()` sends SIGTERM, waits for the exit summary, and kills what does not
/// exit in time; `deinit` kills a process still running.
final class StageProcess {
    let name: String
    private let process: Process
    private let outputURL: URL
    private let errorURL: URL

    /// Starts `executable` (a name next to this benchmark's executable) with `arguments`, behind
    /// `launcher` when it is not empty (a command that runs the rest, e.g. one entering a network namespace).
    init(_ name: String, executable: String, arguments: [String], launcher: [String] = [], logs folder: URL) throws {
        self.name = name
        outputURL = folder.appendingPathComponent("\(name).out")
        errorURL = folder.appendingPathComponent("\(name).err")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        process = Process.launching(OwnExecutable.folder.appendingPathComponent(executable).path, arguments, behind: launcher)
        process.environment = ParentProcess.environmentForChild()
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    var isRunning: Bool { process.isRunning }

    var pid: Int32 { process.processIdentifier }

    /// The exit status (or signal) once the process has exited.
    var terminationStatus: Int32 { process.terminationStatus }

    var standardOutput: String { (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "" }

    /// The last `count` lines the process wrote on stderr (its log), for an error message.
    func errorTail(_ count: Int = 5) -> String {
        let text = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(count).joined(separator: "\n")
    }

    /// SIGTERM, up to `grace` seconds to print its summary and exit, then SIGKILL. Idempotent.
    func stop(grace: Double = 10) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = PipelineClock.seconds() + grace
        while process.isRunning && PipelineClock.seconds() < deadline { PipelineClock.sleep(milliseconds: 20) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// `key=value` fields of a stage's one-line summary (`ladon-encoder[...] frames received=12 ...`): the
/// fields of the first line that starts with `prefix`, empty when there is none.
enum SummaryFields {
    static func parse(_ output: String, lineStartingWith prefix: String) -> (line: String, fields: [String: String]) {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return ("", [:]) }
        var fields: [String: String] = [:]
        for token in line.split(separator: " ") {
            let parts = token.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        return (String(line), fields)
    }
}

/// What the sink published, as a benchmark's SUB socket reads it: `[topic][Result]` messages.
enum PublishedResults {
    struct NotConnected: Error, CustomStringConvertible {
        let endpoint: String
        let seconds: Double
        var description: String { "the benchmark's subscriber did not connect to the sink at \(endpoint) within \(seconds) s" }
    }

    /// Connects `subscriber` to the sink's publish `endpoint` and returns once the connection is made
    /// (or throws after `seconds`, or when the sink has exited). A PUB socket drops what it sends before a
    /// subscription reaches it while the sink counts it all the same, so the benchmarks start the stages
    /// that make Results only after this: every Result the sink counts is one they can hear.
    static func connect(_ subscriber: Socket, to endpoint: String, of sink: StageProcess, seconds: Double = 10) throws {
        let monitor = try subscriber.monitor(.handshakeSucceeded)
        defer { monitor.close() }
        _ = try subscriber.connect(endpoint)
        let deadline = PipelineClock.seconds() + seconds
        while PipelineClock.seconds() < deadline && sink.isRunning {
            while let event = try monitor.next() {
                if event.kind == .handshakeSucceeded { return }
            }
            PipelineClock.sleep(milliseconds: 5)
        }
        throw NotConnected(endpoint: endpoint, seconds: seconds)
    }

    /// Waits up to `timeoutMilliseconds` for `socket`, then hands every queued message to `handle` as its
    /// topic and Result (`nil` for a message that is not one). `false` when nothing arrived in time.
    static func receive(
        _ socket: Socket, _ poller: inout Poller, timeoutMilliseconds: Int, _ handle: (String, ResultMessage?) throws -> Void
    ) throws -> Bool {
        guard try poller.poll(timeoutMilliseconds: timeoutMilliseconds)[0].contains(.readable) else { return false }
        while let message = try socket.tryReceive() {
            let result = message.count == 2 ? try? ResultMessage(serialized: message[1]) : nil
            try handle(String(decoding: message.first ?? [], as: UTF8.self), result)
        }
        return true
    }
}
