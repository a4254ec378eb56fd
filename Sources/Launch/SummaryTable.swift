import Foundation
import Shared

/// The sink's periodic `sink summary:` lines as one table, a row per node and one for all, for a
/// launcher on a terminal that redraws it in place instead of scrolling the lines by. Rules only: the
/// lines come in, the table's lines go out.
public struct SummaryTable: Sendable {
    static let prefix = "sink summary:"
    static let columns: [(title: String, key: String)] = [
        ("frames", "frames"), ("errors", "errors"), ("drops", "drops"), ("bytes/frame", "bytes_per_frame"),
        ("p50 ms", "latency_ms_p50"), ("p90 ms", "latency_ms_p90"), ("p99 ms", "latency_ms_p99"),
    ]

    private var rows: [String: [String: String]] = [:]

    public init() {}

    /// Takes a summary line into the table; `false` for any other line (to be shown as it is).
    public mutating func take(_ line: String) -> Bool {
        guard line.hasPrefix(Self.prefix) else { return false }
        var fields: [String: String] = [:]
        for token in line.dropFirst(Self.prefix.count).split(separator: " ") {
            let parts = token.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        rows[fields["node"] ?? "all"] = fields
        return true
    }

    public var isEmpty: Bool { rows.isEmpty }

    /// The table: a heading, the nodes in name order, then `all`.
    public func lines() -> [String] {
        let names = rows.keys.filter { $0 != "all" }.sorted() + (rows["all"] == nil ? [] : ["all"])
        let width = max(4, names.map(\.count).max() ?? 0)
        func pad(_ text: String, _ size: Int) -> String { String(repeating: " ", count: max(0, size - text.count)) + text }
        let heading = "node".padding(toLength: width, withPad: " ", startingAt: 0) + Self.columns.map { "  " + pad($0.title, 11) }.joined()
        return [heading]
            + names.map { name in
                name.padding(toLength: width, withPad: " ", startingAt: 0)
                    + Self.columns.map { "  " + pad(rows[name]?[$0.key] ?? "-", 11) }.joined()
            }
    }
}

/// Writes a `SummaryTable` to a terminal in place: other lines print above it, the table is redrawn
/// below them (ANSI cursor-up and clear-to-end). Called from the pipe reader of the sink's output.
final class TerminalSummary: @unchecked Sendable {
    private let lock = NSLock()
    private var table = SummaryTable()
    private var drawn = 0
    private var pending = ""

    func consume(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        pending += String(decoding: data, as: UTF8.self)
        var out = ""
        while let newline = pending.firstIndex(of: "\n") {
            let line = String(pending[..<newline])
            pending = String(pending[pending.index(after: newline)...])
            if drawn > 0 { out += "\u{1B}[\(drawn)A\u{1B}[J" }
            drawn = 0
            if !table.take(line) { out += line + "\n" }
            let lines = table.isEmpty ? [] : table.lines()
            out += lines.map { $0 + "\n" }.joined()
            drawn = lines.count
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
