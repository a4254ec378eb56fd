/// What `ladon-launch deploy` knows of each stage program: its role and which of its options bind a
/// ZeroMQ endpoint other services connect to, connect to one, or serve HTTP (`ADDR:PORT`). Ports are
/// read from these options, never declared twice.
public struct StageProgram: Sendable, Equatable {
    public enum Role: String, Sendable {
        case ingest, encoder, broker, worker, sink

        /// Ingest and encoder run on a camera device; the rest on the edge's machines (or a cluster).
        public var runsOnCamera: Bool { self == .ingest || self == .encoder }
    }

    public var role: Role
    /// The executable's name and, for the programs with subcommands, the subcommand.
    public var command: [String]
    public var binds: [String]
    public var connects: [String]
    public var serves: [String]

    public static let known: [StageProgram] = [
        StageProgram(role: .ingest, command: ["ladon-ingest"], binds: [], connects: ["connect"], serves: ["metrics"]),
        StageProgram(role: .encoder, command: ["ladon-encoder", "run"], binds: ["ingest"], connects: ["edge"], serves: ["metrics"]),
        StageProgram(role: .broker, command: ["ladon-edge", "serve"], binds: ["frontend", "backend"], connects: ["sink"], serves: ["metrics"]),
        StageProgram(role: .worker, command: ["ladon-edge", "worker"], binds: [], connects: ["connect"], serves: []),
        StageProgram(role: .sink, command: ["ladon-sink", "serve"], binds: ["results", "publish"], connects: [], serves: ["metrics", "http"]),
    ]

    /// CURVE options naming one key file, and those naming an allow-list folder (docs/security.md).
    public static let keyFileOptions = ["secret-key", "sink-key", "edge-key", "broker-key"]
    public static let allowListOptions = ["allow-nodes", "allow-workers", "allow-edges", "allow-subscribers"]

    /// The program `stage` runs, found by its executable's file name and first argument.
    public static func of(_ stage: Topology.Stage) throws(DeployError) -> StageProgram {
        let executable = stage.executable.split(separator: "/").last.map(String.init) ?? stage.executable
        let invoked = [executable] + stage.arguments.prefix(1)
        guard let program = known.first(where: { invoked.starts(with: $0.command) }) else {
            throw .unknownProgram(stage: stage.name, command: invoked.joined(separator: " "))
        }
        return program
    }

    /// The value `arguments` give `option` (`--option value` or `--option=value`; the last one counts, as
    /// the stages' parser has it); `nil` when absent. Options end at `--`.
    public static func value(of option: String, in arguments: [String]) -> String? {
        var found: String?
        var index = 0
        while index < arguments.count, arguments[index] != "--" {
            let token = arguments[index]
            if token == "--\(option)", index + 1 < arguments.count {
                found = arguments[index + 1]
                index += 1
            } else if token.hasPrefix("--\(option)=") {
                found = String(token.dropFirst(option.count + 3))
            }
            index += 1
        }
        return found
    }
}
