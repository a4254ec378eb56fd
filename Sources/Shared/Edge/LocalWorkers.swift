import Foundation

/// The worker processes `ladon-edge serve --workers N` starts: the same executable with the `worker`
/// subcommand, connected to the broker's backend, told to stop if the broker dies. `stop()` sends
/// SIGTERM, waits, then SIGKILLs what is left.
public final class LocalWorkers {
    private var processes: [Process] = []
    private let log = Logger(label: "ladon-edge.serve")

    public init() {}

    /// Starts `count` workers running `executable worker <arguments>`.
    public func start(count: Int, executable: String, arguments: [String]) throws {
        for index in 0 ..< count {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["worker"] + arguments + ["--parent", "\(getpid())", "--id", "worker-\(getpid())-\(index)"]
            try process.run()
            processes.append(process)
            log.info("spawned worker", ["pid": process.processIdentifier, "index": index])
        }
    }

    /// Workers that exited on their own so far (logged once each by the caller's loop).
    public var exited: [Int32] { processes.filter { !$0.isRunning }.map(\.processIdentifier) }

    public func stop(graceSeconds: Double = 3) {
        for process in processes where process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(graceSeconds)
        while processes.contains(where: \.isRunning), Date() < deadline { usleep(20_000) }
        for process in processes where process.isRunning {
            log.warning("worker did not stop; killing it", ["pid": process.processIdentifier])
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        processes.removeAll()
    }

    /// This process's executable, so workers run exactly the broker's build.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
