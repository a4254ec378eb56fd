import Foundation

/// A logger shaped like swift-log: a label, a level, key=value metadata, one stderr line per event.
/// The threshold comes from the environment variable `LADON_LOG` (trace, debug, info, warning, error).
public struct Logger: Sendable {
    public enum Level: Int, Comparable, Sendable, CaseIterable {
        case trace, debug, info, warning, error

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
        var name: String { String(describing: self) }
    }

    public let label: String
    public let threshold: Level

    public init(label: String) {
        self.label = label
        let configured = ProcessInfo.processInfo.environment["LADON_LOG"]?.lowercased()
        threshold = Level.allCases.first { $0.name == configured } ?? .info
    }

    public func log(_ level: Level, _ message: String, _ metadata: KeyValuePairs<String, CustomStringConvertible> = [:]) {
        guard level >= threshold else { return }
        var line = "\(label) \(level.name): \(message)"
        for (key, value) in metadata { line += " \(key)=\(value)" }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    public func info(_ message: String, _ metadata: KeyValuePairs<String, CustomStringConvertible> = [:]) { log(.info, message, metadata) }
    public func warning(_ message: String, _ metadata: KeyValuePairs<String, CustomStringConvertible> = [:]) { log(.warning, message, metadata) }
    public func error(_ message: String, _ metadata: KeyValuePairs<String, CustomStringConvertible> = [:]) { log(.error, message, metadata) }
    public func debug(_ message: String, _ metadata: KeyValuePairs<String, CustomStringConvertible> = [:]) { log(.debug, message, metadata) }
}
