import Foundation
import Shared

/// The edge processes of one test (`ladon-edge serve` with the tiny model, `ladon-sink serve`, ...) on
/// ipc:// endpoints in a folder of their own, with a context for the test's own sockets (FakeNode);
/// `stop()` ends them all.
public final class EdgeHarness {
    /// The tiny test model every harness stage runs.
    public static let model = Fixtures.path("model/tiny.safetensors")

    public let folder: URL
    public let context: Context
    public private(set) var processes: [ChildProcess] = []
    public var frontend: String { "ipc://\(folder.path)/frontend" }
    public var results: String { "ipc://\(folder.path)/results" }
    public var publish: String { "ipc://\(folder.path)/publish" }

    public init() throws {
        folder = try Executables.temporaryFolder()
        context = try Context()
    }

    @discardableResult
    public func start(_ name: String, _ arguments: [String]) throws -> ChildProcess {
        let process = try ChildProcess(name, arguments, logs: folder)
        processes.append(process)
        return process
    }

    public func sink(expect: Int) throws -> ChildProcess {
        try start("ladon-sink", ["serve", "--results", results, "--publish", publish, "--expect", "\(expect)"])
    }

    public func broker(workers: Int = 2, extra: [String] = []) throws -> ChildProcess {
        try start(
            "ladon-edge",
            ["serve", "--model", Self.model, "--frontend", frontend, "--sink", results, "--workers", "\(workers)"] + extra)
    }

    public func stop() {
        for process in processes.reversed() { process.stop() }
        context.close()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Sends latents from a node named `probe` until `subscriber` prints one: PUB/SUB subscriptions
    /// propagate asynchronously, and Results published before that are lost to the subscriber.
    /// Returns how many probe Results the sink received.
    public func awaitSubscriber(_ subscriber: ChildProcess, latent: LatentMessage) throws -> Int {
        let probe = try FakeNode(context, id: "probe", window: 1, frontend: frontend, model: latent.model)
        guard try probe.join() else { return 0 }
        let deadline = Date().addingTimeInterval(30)
        while !subscriber.standardOutput.contains("\"probe\"") && Date() < deadline {
            try probe.send(latent, sequence: UInt64(probe.sent + 1))
            _ = try probe.drain()
            try probe.pump(milliseconds: 200)
        }
        return probe.sent
    }

    /// Everything the processes wrote, for failure messages.
    public var logs: String {
        processes.map { "--- \($0.name)\n\($0.standardOutput)\($0.standardError)" }.joined(separator: "\n")
    }
}
