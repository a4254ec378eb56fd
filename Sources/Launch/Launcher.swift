import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a `Topology` as separate processes: starts each stage (after its delay), forwards SIGINT and
/// SIGTERM, reports a stage that exits on its own when it should not, ends the run once the
/// `until_exit` stages finish (draining and settling as the topology says), and kills stragglers
/// after the grace period.
public final class Launcher {
    public struct Outcome: Sendable {
        /// Stages that exited on their own before the launch asked them to (status or signal shown).
        public var unexpectedExits: [String] = []
        /// Stages that ignored SIGTERM for the grace period and were killed.
        public var killed: [String] = []
        public var stoppedBySignal = false
    }

    private final class Child {
        let name: String
        let stage: Topology.Stage
        let process = Process()
        var started = false
        var reported = false
        init(name: String, stage: Topology.Stage) {
            self.name = name
            self.stage = stage
        }
    }

    private enum Phase {
        case running
        case draining(until: Double)
        case settling(until: Double)
        case stopping(until: Double)
    }

    let topology: Topology
    let executableFolder: URL
    let log = Logger(label: "ladon-launch")

    public init(_ topology: Topology, executableFolder: URL) {
        self.topology = topology
        self.executableFolder = executableFolder
    }

    public func run() throws -> Outcome {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ladon-launch-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        // On a terminal the sink's summaries become one table redrawn in place.
        let terminal = isatty(STDOUT_FILENO) == 1 ? TerminalSummary() : nil
        var children: [Child] = []
        for stage in topology.stages {
            for index in 1...stage.replicas {
                let child = Child(name: stage.instanceName(index), stage: stage)
                child.process.executableURL =
                    stage.executable.contains("/")
                    ? URL(fileURLWithPath: stage.executable) : executableFolder.appendingPathComponent(stage.executable)
                child.process.arguments = stage.arguments(index: index, scratch: scratch.path)
                // Stages stop by themselves should this launch be killed before it can stop them.
                child.process.environment = ParentProcess.environmentForChild()
                if let terminal, stage.executable.hasSuffix("ladon-sink") {
                    let pipe = Pipe()
                    pipe.fileHandleForReading.readabilityHandler = { handle in terminal.consume(handle.availableData) }
                    child.process.standardOutput = pipe
                }
                children.append(child)
            }
        }

        var outcome = Outcome()
        let start = PipelineClock.seconds()
        var phase = Phase.running
        var forwarded: Int32 = 0
        defer {
            // Never leave a child behind, whatever ended the loop.
            for child in children where child.started && child.process.isRunning { kill(child.process.processIdentifier, SIGKILL) }
        }

        while true {
            let now = PipelineClock.seconds()
            let signal = StopSignal.signalNumber
            if signal != 0 && forwarded == 0 {
                forwarded = signal
                outcome.stoppedBySignal = true
                log.info("stopping every stage", ["signal": signal])
                for child in children where child.started && child.process.isRunning { kill(child.process.processIdentifier, signal) }
                phase = .stopping(until: now + topology.graceSeconds)
            }

            if case .running = phase {
                for child in children where !child.started && now - start >= child.stage.delaySeconds {
                    do {
                        try child.process.run()
                        child.started = true
                        log.info("started \(child.name)", ["pid": child.process.processIdentifier])
                    } catch {
                        throw LaunchError.cannotStart(
                            stage: child.name, reason: "\(child.process.executableURL?.path ?? child.stage.executable): \(error.localizedDescription)"
                        )
                    }
                }
            }

            for child in children where child.started && !child.reported && !child.process.isRunning {
                child.reported = true
                let status = child.process.terminationStatus
                let how = child.process.terminationReason == .uncaughtSignal ? "signal \(status)" : "status \(status)"
                let expected: Bool
                switch phase {
                case .running: expected = status == 0 && (child.stage.untilExit || child.stage.drains)
                case .draining, .settling: expected = status == 0 && (child.stage.untilExit || child.stage.drains)
                case .stopping: expected = true
                }
                if expected {
                    log.info("\(child.name) finished", ["how": how])
                } else {
                    outcome.unexpectedExits.append(child.name)
                    log.error("stage \(child.name) exited unexpectedly", ["how": how])
                }
            }

            let running = children.filter { $0.started && $0.process.isRunning }
            let allStarted = children.allSatisfy(\.started)
            if running.isEmpty && (allStarted || forwarded != 0) { break }

            switch phase {
            case .running:
                let sources = children.filter { $0.stage.untilExit }
                if allStarted && !sources.isEmpty && sources.allSatisfy({ !$0.process.isRunning }) {
                    log.info("the sources are done; draining")
                    phase = .draining(until: now + topology.drainSeconds)
                }
            case let .draining(until):
                if now >= until || children.allSatisfy({ !$0.stage.drains || !$0.process.isRunning }) {
                    phase = .settling(until: now + topology.settleSeconds)
                }
            case let .settling(until):
                if now >= until {
                    for child in running { kill(child.process.processIdentifier, SIGTERM) }
                    phase = .stopping(until: now + topology.graceSeconds)
                }
            case let .stopping(until):
                if now >= until {
                    for child in running {
                        log.error("stage \(child.name) ignored SIGTERM; killing it")
                        outcome.killed.append(child.name)
                        kill(child.process.processIdentifier, SIGKILL)
                    }
                    for child in running { child.process.waitUntilExit() }
                    return outcome
                }
            }
            usleep(50_000)
        }
        return outcome
    }
}
