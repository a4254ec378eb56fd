import Foundation
import Shared

/// A pipeline topology file (compose/*.json): the stages `ladon-launch` starts as separate processes.
///
/// ```json
/// { "drain_seconds": 15, "settle_seconds": 2, "grace_seconds": 5,
///   "stages": [ { "name": "ingest", "executable": "ladon-ingest", "arguments": ["--node-id", "cam-{index}"],
///                 "replicas": 1, "until_exit": true, "delay_seconds": 2 }, ... ] }
/// ```
/// - `executable`: a bare name is looked up next to `ladon-launch`; a path is used as given.
/// - `replicas` (default 1) starts that many copies; `{index}` in arguments becomes 1, 2, ... and
///   `{tmp}` a folder the launch creates for ipc:// endpoints and removes at exit.
/// - `until_exit`: the launch runs until every such stage (the ingests) has exited on its own;
/// - `drains`: such stages (the encoders) finish by themselves after their input ends: once the
///   `until_exit` stages are done the launch waits up to `drain_seconds` for them, then `settle_seconds`
///   for the results to reach the sink, then sends SIGTERM to the rest and SIGKILL after `grace_seconds`.
/// - `delay_seconds`: start this stage that long after the launch (let the edge load its model).
///
/// Two optional fields only `ladon-launch deploy` reads (docs/deploy.md); the launch ignores them:
/// - `host` (a stage's): the machine each replica runs on, `{index}` expanded as in arguments
///   (`"cam-0{index}"`); stages linked over ipc:// share one. Default: each replica its own.
/// - `image` (the topology's): the container image every service runs (default `ladon:<version>`).
public struct Topology: Sendable, Decodable {
    public struct Stage: Sendable, Decodable {
        public var name: String
        public var executable: String
        public var arguments: [String]
        public var replicas: Int
        public var untilExit: Bool
        public var drains: Bool
        public var delaySeconds: Double
        public var host: String?

        enum CodingKeys: String, CodingKey {
            case name, executable, arguments, replicas, count
            case untilExit = "until_exit"
            case drains
            case delaySeconds = "delay_seconds"
            case host
        }

        public init(
            name: String, executable: String, arguments: [String] = [], replicas: Int = 1,
            untilExit: Bool = false, drains: Bool = false, delaySeconds: Double = 0, host: String? = nil
        ) {
            self.name = name
            self.executable = executable
            self.arguments = arguments
            self.replicas = replicas
            self.untilExit = untilExit
            self.drains = drains
            self.delaySeconds = delaySeconds
            self.host = host
        }

        public init(from decoder: Decoder) throws {
            let values = try decoder.container(keyedBy: CodingKeys.self)
            name = try values.decode(String.self, forKey: .name)
            executable = try values.decode(String.self, forKey: .executable)
            arguments = try values.decodeIfPresent([String].self, forKey: .arguments) ?? []
            replicas =
                try values.decodeIfPresent(Int.self, forKey: .replicas)
                ?? values.decodeIfPresent(Int.self, forKey: .count) ?? 1
            untilExit = try values.decodeIfPresent(Bool.self, forKey: .untilExit) ?? false
            drains = try values.decodeIfPresent(Bool.self, forKey: .drains) ?? false
            delaySeconds = try values.decodeIfPresent(Double.self, forKey: .delaySeconds) ?? 0
            host = try values.decodeIfPresent(String.self, forKey: .host)
        }

        /// Replica `index`'s name: the stage's own with one replica, `name-index` with several.
        public func instanceName(_ index: Int) -> String {
            replicas > 1 ? "\(name)-\(index)" : name
        }

        /// Replica `index`'s arguments: `{index}` becomes the index, `{tmp}` the scratch folder.
        public func arguments(index: Int, scratch: String) -> [String] {
            arguments.map { Topology.expand($0, index: index, scratch: scratch) }
        }
    }

    /// The templates of a stage's arguments (and deploy's `host`): `{index}` and `{tmp}`.
    public static func expand(_ text: String, index: Int, scratch: String) -> String {
        text.replacingOccurrences(of: "{index}", with: "\(index)").replacingOccurrences(of: "{tmp}", with: scratch)
    }

    public var stages: [Stage]
    public var drainSeconds: Double
    public var settleSeconds: Double
    public var graceSeconds: Double
    public var image: String?

    enum CodingKeys: String, CodingKey {
        case stages
        case drainSeconds = "drain_seconds"
        case settleSeconds = "settle_seconds"
        case graceSeconds = "grace_seconds"
        case image
    }

    public init(
        stages: [Stage], drainSeconds: Double = 15, settleSeconds: Double = 2, graceSeconds: Double = 5, image: String? = nil
    ) {
        self.stages = stages
        self.drainSeconds = drainSeconds
        self.settleSeconds = settleSeconds
        self.graceSeconds = graceSeconds
        self.image = image
    }

    public init(from decoder: Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        stages = try values.decode([Stage].self, forKey: .stages)
        drainSeconds = try values.decodeIfPresent(Double.self, forKey: .drainSeconds) ?? 15
        settleSeconds = try values.decodeIfPresent(Double.self, forKey: .settleSeconds) ?? 2
        graceSeconds = try values.decodeIfPresent(Double.self, forKey: .graceSeconds) ?? 5
        image = try values.decodeIfPresent(String.self, forKey: .image)
    }

    /// Reads and checks a topology file.
    public static func load(_ path: String) throws -> Topology {
        try parse(FileIO.read(path, what: "topology", limit: 1 << 20), path: path)
    }

    /// Checks a topology file's bytes; `path` names it in errors.
    public static func parse(_ bytes: [UInt8], path: String) throws(LaunchError) -> Topology {
        let topology: Topology
        do {
            topology = try JSONDecoder().decode(Topology.self, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, context) {
            throw LaunchError.invalidTopology(path: path, reason: "missing '\(key.stringValue)' at \(pathText(context))")
        } catch let DecodingError.typeMismatch(_, context) {
            throw LaunchError.invalidTopology(path: path, reason: "wrong type at \(pathText(context))")
        } catch {
            throw LaunchError.invalidTopology(path: path, reason: "not valid JSON")
        }
        guard !topology.stages.isEmpty else { throw LaunchError.invalidTopology(path: path, reason: "no stages") }
        var names = Set<String>()
        for stage in topology.stages {
            guard (1...256).contains(stage.replicas) else {
                throw LaunchError.invalidTopology(path: path, reason: "stage '\(stage.name)' has \(stage.replicas) replicas")
            }
            guard names.insert(stage.name).inserted else {
                throw LaunchError.invalidTopology(path: path, reason: "two stages are named '\(stage.name)'")
            }
        }
        return topology
    }

    private static func pathText(_ context: DecodingError.Context) -> String {
        let text = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return text.isEmpty ? "top level" : text
    }
}
