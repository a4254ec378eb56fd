import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A stage's record of what happened to each frame, one line per event, for checking afterwards that
/// nothing was lost or duplicated (`HistoryCheck` in LadonBench):
///
///     <wall-clock µs> <stage> <event> <node> <sequence> [key=value ...]
///
/// Each line is one `write(2)` on a file opened for appending, so a stage killed with SIGKILL loses no
/// line it wrote, and several processes (a stage restarted) may share one file.
public final class HistoryLog: @unchecked Sendable {
    public let stage: String
    private let descriptor: Int32

    public init(path: String, stage: String) throws(FileError) {
        self.stage = stage
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError(path: path, action: "open history log", reason: String(cString: strerror(errno))) }
    }

    deinit { close(descriptor) }

    /// Appends one event; `details` in the order given. Node ids and values never hold spaces (ids are
    /// validated; details are ours).
    public func record(_ event: String, node: String, sequence: UInt64, _ details: KeyValuePairs<String, String> = [:]) {
        var line = "\(PipelineClock.wallMicroseconds()) \(stage) \(event) \(node) \(sequence)"
        for (key, value) in details { line += " \(key)=\(value)" }
        line += "\n"
        let bytes = Array(line.utf8)
        // A failed write (disk full) loses an event of a check, never the pipeline's work.
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }
}

extension CommandSpec.Option {
    /// `--history FILE`, the same on every stage.
    public static let history = CommandSpec.Option.value(
        "history", "file", help: "Append one line per frame event (captured, sent, dropped, published, ...) for a history check.")
}

extension ParsedArguments {
    /// The stage's history log when `--history` names one.
    public func historyLog(stage: String) throws(FileError) -> HistoryLog? {
        try value("history").map { path throws(FileError) in try HistoryLog(path: path, stage: stage) }
    }
}
