import Foundation
import Shared

/// The worker processes `ladon-edge serve --workers N` starts: the same executable with the `worker`
/// subcommand, connected to the broker's backend, told to stop if the broker dies (`ParentProcess`). `supervise()`, called
/// from the broker's loop, starts a worker again when one has died, after a `RestartBackoff` delay, under
/// a fresh worker id; it returns the ids of the workers it found dead, so the broker retires them (and
/// hands on a latent one held) at once rather than after its heartbeat timeout. `stop()` sends SIGTERM,
/// waits, then SIGKILLs what is left.
public final class LocalWorkers {
    private struct Slot {
        var process: Process
        var id: String
        var generation = 0
        var startedAt: Double
        var restartAt: Double?
        var backoff: RestartBackoff
    }

    /// Workers started again after they died.
    public private(set) var respawned = 0
    private var slots: [Slot] = []
    private var executable = ""
    private var arguments: [String] = []
    private let backoff: RestartBackoff
    private let log = Logger(label: "ladon-edge.serve")

    private let shouldStop: () -> Bool
    private let clock: () -> Double

    /// `shouldStop`: once it says so, dead workers are no longer started again (the edge is stopping).
    /// `clock`: seconds on a monotonic clock (tests pass their own, so the backoff is checked without waiting).
    public init(backoff: RestartBackoff = RestartBackoff(), clock: @escaping () -> Double = PipelineClock.seconds, shouldStop: @escaping () -> Bool) {
        self.backoff = backoff
        self.clock = clock
        self.shouldStop = shouldStop
    }

    /// Starts `count` workers running `executable worker <arguments>`.
    public func start(count: Int, executable: String, arguments: [String]) throws {
        self.executable = executable
        self.arguments = arguments
        for index in 0..<count {
            let (process, id) = try launch(index: index, generation: 0)
            slots.append(Slot(process: process, id: id, startedAt: clock(), backoff: backoff))
        }
    }

    /// The pids of the workers running now.
    public var running: [Int32] { slots.map(\.process).filter(\.isRunning).map(\.processIdentifier) }

    /// Notices workers that died (logged once each, with how) and starts each again once its delay has
    /// passed. Returns the ids of the workers found dead on this call.
    @discardableResult
    public func supervise() -> [String] {
        guard !shouldStop() else { return [] }
        let now = clock()
        var exited: [String] = []
        for index in slots.indices {
            let slot = slots[index]
            guard !slot.process.isRunning else { continue }
            guard let restartAt = slot.restartAt else {
                let delay = slots[index].backoff.delay(afterRunning: now - slot.startedAt)
                slots[index].restartAt = now + delay
                exited.append(slot.id)
                let how = slot.process.terminationReason == .uncaughtSignal ? "signal" : "status"
                log.warning(
                    "worker exited; starting it again",
                    [
                        "pid": slot.process.processIdentifier, "index": index,
                        "how": "\(how) \(slot.process.terminationStatus)",
                        "after_seconds": String(format: "%.1f", delay),
                    ])
                continue
            }
            guard now >= restartAt else { continue }
            do {
                let (process, id) = try launch(index: index, generation: slot.generation + 1)
                slots[index].process = process
                slots[index].id = id
                slots[index].generation += 1
                slots[index].startedAt = now
                slots[index].restartAt = nil
                respawned += 1
            } catch {
                slots[index].restartAt = now + slots[index].backoff.delay(afterRunning: 0)
                log.error("cannot start a worker again", ["index": index, "error": "\(error)"])
            }
        }
        return exited
    }

    /// Kills the worker `id` if it is one of these and still running (it fell silent: hung or stopped);
    /// `supervise()` then finds it dead and starts it again. A late answer from it can never arrive.
    public func kill(id: String) {
        guard let slot = slots.first(where: { $0.id == id }), slot.process.isRunning else { return }
        log.warning("worker silent; killing it so it is started again", ["pid": slot.process.processIdentifier, "id": id])
        Glibc.kill(slot.process.processIdentifier, SIGKILL)
    }

    private func launch(index: Int, generation: Int) throws -> (Process, id: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        let id = "worker-\(getpid())-\(index)" + (generation > 0 ? ".\(generation)" : "")
        process.arguments = ["worker"] + arguments + ["--id", id]
        process.environment = ParentProcess.environmentForChild()
        try process.run()
        log.info("spawned worker", ["pid": process.processIdentifier, "index": index, "id": id])
        return (process, id)
    }

    public func stop(graceSeconds: Double = 3) {
        let processes = slots.map(\.process)
        slots.removeAll()
        for process in processes where process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(graceSeconds)
        while processes.contains(where: \.isRunning), Date() < deadline { usleep(20_000) }
        for process in processes where process.isRunning {
            log.warning("worker did not stop; killing it", ["pid": process.processIdentifier])
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

}

/// How long to wait before starting a dead worker again: `initial` seconds, doubling with each death
/// that follows a short life, up to `maximum`; a worker that ran `stableAfter` seconds starts the series
/// again. A worker that crashes at start is retried ever more slowly instead of spinning.
public struct RestartBackoff: Sendable, Equatable {
    public var initial: Double
    public var maximum: Double
    public var stableAfter: Double
    private var next: Double

    public init(initial: Double = 0.5, maximum: Double = 30, stableAfter: Double = 30) {
        self.initial = initial
        self.maximum = maximum
        self.stableAfter = stableAfter
        next = initial
    }

    /// The delay before the next start of a worker that died after running `seconds`.
    public mutating func delay(afterRunning seconds: Double) -> Double {
        if seconds >= stableAfter { next = initial }
        let delay = next
        next = min(maximum, next * 2)
        return delay
    }
}
