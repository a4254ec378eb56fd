import Foundation

/// What the benchmarks and tests read of other processes from /proc (Linux): resident memory and children.
public enum ProcessTable {
    /// The process's resident set size (`VmRSS` in /proc/PID/status) in bytes; `nil` once it has exited
    /// (a zombie has no VmRSS line) or when it cannot be read.
    public static func residentBytes(of pid: Int32) -> Int? {
        (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)).flatMap { residentBytes(status: $0) }
    }

    /// This process's peak resident set size so far (`VmHWM`), in bytes.
    public static func ownPeakResidentBytes() -> Int? {
        (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)).flatMap { residentBytes(status: $0, field: "VmHWM") }
    }

    /// `VmRSS:\t   12345 kB` (or another such `field`) in the text of a /proc/PID/status file, in bytes.
    public static func residentBytes(status: String, field: String = "VmRSS") -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return nil }
        let fields = line.dropFirst(field.count + 1).split(whereSeparator: \.isWhitespace)
        guard fields.count == 2, fields[1] == "kB", let kibibytes = Int(fields[0]) else { return nil }
        return kibibytes * 1024
    }

    /// The processes whose parent is `parent`, by pid (the `ppid` field of every /proc/PID/stat).
    public static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)).flatMap(parentPID(stat:)) == parent
        }.sorted()
    }

    /// The parent pid in the text of a /proc/PID/stat file: the second field after the command name,
    /// which is in parentheses and may itself hold spaces and parentheses.
    public static func parentPID(stat: String) -> Int32? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }
}
