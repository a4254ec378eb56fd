import Foundation
import Shared

/// `ladon-bench soak`: the whole pipeline under load for a long time, watched for what only time shows
/// (memory that grows, a stage that stalls, a slow subscriber falling behind). The real processes run on
/// ipc:// endpoints in a fresh temporary folder, as the link benchmark runs them: `ladon-sink serve`,
/// `ladon-edge serve --workers W`, and per node `ladon-encoder run --node-id cam-NN` fed by `ladon-ingest
/// --loop --fps F` (fast enough that the edge is the bottleneck), plus a deliberately slow
/// `ladon-sink subscribe --max-rate R` whose lines go to a file. The benchmark subscribes to every
/// node's `<node>/all` topic itself and counts each Result until it has heard `frames` of them; every
/// `sampleSeconds` it reads the resident memory of each process (the edge's worker children included),
/// and once more when the warm-up ends and at the end. `SoakMonitor` keeps the counts, gaps and
/// samples and `SoakVerdict` judges them. A node silent for the stall limit, or a process that exits,
/// ends the run early, and the verdict names it.
public struct SoakBenchmark {
    public struct Configuration: Sendable {
        public var model = "Tests/Fixtures/model/tiny.safetensors"
        /// Frames for each ingest: a JPEG, a directory or a glob, looped.
        public var source = "Tests/Fixtures/model/tiny-input.jpg"
        /// Results to hear before the stop.
        public var frames = 100_000
        public var nodes = 3
        public var workers = 2
        /// Each node's camera rate.
        public var framesPerSecond = 100.0
        /// The slow subscriber's `--max-rate`.
        public var subscriberRate = 2.0
        public var sampleSeconds = 5.0
        /// The share of `frames` heard before the memory figures' baseline is taken.
        public var warmupFraction = 0.1
        public var limits = SoakLimits()
        /// Keep every process's output under this folder instead of discarding it.
        public var logs: String?

        public init() {}

        /// A run of seconds for the tests: 1500 Results, memory sampled every second.
        public static var quick: Configuration {
            var configuration = Configuration()
            configuration.frames = 1500
            configuration.sampleSeconds = 1
            return configuration
        }

        var nodeIDs: [String] { (1...max(1, nodes)).map { String(format: "cam-%02d", $0) } }
    }

    let configuration: Configuration

    public init(_ configuration: Configuration) { self.configuration = configuration }

    /// Runs the pipeline until the target, a stall or a dead process; `progress` gets a line at the end of
    /// warm-up and at every tenth of the target, then the report's lines. Throws when a process cannot
    /// be started or a socket fails.
    public func run(progress: (String) -> Void = { _ in }) throws -> SoakReport {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ladon-soak-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let logs = configuration.logs.map { URL(fileURLWithPath: $0) } ?? folder
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        func endpoint(_ name: String) -> String { "ipc://\(folder.path)/\(name)" }
        let model = URL(fileURLWithPath: configuration.model).path
        let source =
            configuration.source.hasPrefix("/") ? configuration.source : FileManager.default.currentDirectoryPath + "/" + configuration.source
        let nodeIDs = configuration.nodeIDs

        let context = try Context()
        defer { context.close() }
        let subscriber = try context.socket(.subscriber)
        defer { subscriber.close() }
        try subscriber.set(.maxMessageSize(bytes: MessageKind.receiveLimit(.result)))
        for node in nodeIDs { try subscriber.set(.subscribe(prefix: Array("\(node)/all".utf8))) }

        var stages: [StageProcess] = []
        defer { for stage in stages.reversed() { stage.stop() } }
        func start(_ name: String, _ executable: String, _ arguments: [String]) throws -> StageProcess {
            let stage = try StageProcess(name, executable: executable, arguments: arguments, logs: logs)
            stages.append(stage)
            return stage
        }
        let startedAt = PipelineClock.seconds()
        let sink = try start(
            "sink", "ladon-sink",
            // A deep queue per subscriber: the benchmark counts every Result it publishes (the slow
            // subscriber's reader thread drains its own at once and keeps the newest).
            ["serve", "--results", endpoint("results"), "--publish", endpoint("publish"), "--summary-every", "5", "--subscriber-queue", "100000"])
        let slowSubscriber = try start(
            "subscriber", "ladon-sink",
            ["subscribe", "--connect", endpoint("publish"), "--topic", "", "--max-rate", "\(configuration.subscriberRate)"])
        try PublishedResults.connect(subscriber, to: endpoint("publish"), of: sink)
        let edge = try start(
            "edge", "ladon-edge",
            [
                "serve", "--model", model, "--frontend", endpoint("frontend"), "--backend", endpoint("backend"), "--sink",
                endpoint("results"), "--workers", "\(configuration.workers)",
            ])
        let encoders = try nodeIDs.map { node in
            try start(
                "encoder-\(node)", "ladon-encoder",
                [
                    "run", "--model", model, "--ingest", endpoint("ingest-\(node)"), "--edge", endpoint("frontend"), "--node-id", node,
                    "--drain-timeout", "2",
                ])
        }
        let ingests = try nodeIDs.map { node in
            try start(
                "ingest-\(node)", "ladon-ingest",
                [
                    "--source", source, "--loop", "--fps", "\(configuration.framesPerSecond)", "--connect", endpoint("ingest-\(node)"),
                    "--node-id", node, "--finish-timeout", "2",
                ])
        }

        var monitor = SoakMonitor(
            target: configuration.frames, warmupFraction: configuration.warmupFraction, nodes: nodeIDs, limits: configuration.limits,
            startedAt: startedAt)
        var workerNames: [Int32: String] = [:]
        func sample() {
            let now = PipelineClock.seconds()
            for stage in stages { monitor.sampled(stage.name, pid: stage.pid, bytes: ProcessTable.residentBytes(of: stage.pid), at: now) }
            let workers = ProcessTable.children(of: edge.pid)
            for pid in workers where workerNames[pid] == nil { workerNames[pid] = "worker-\(workerNames.count + 1)" }
            for (pid, name) in workerNames.sorted(by: { $0.key < $1.key }) {
                monitor.sampled(name, pid: pid, bytes: workers.contains(pid) ? ProcessTable.residentBytes(of: pid) : nil, at: now)
            }
        }

        var stopping = false
        var heardAfterStop = 0
        var unreadable = 0
        var poller = Poller()
        poller.add(subscriber)
        /// Counts what the sink published within `timeoutMilliseconds` (and all that is queued).
        func receive(_ timeoutMilliseconds: Int) throws -> Bool {
            try PublishedResults.receive(subscriber, &poller, timeoutMilliseconds: timeoutMilliseconds) { topic, result in
                guard let result else {
                    unreadable += 1
                    return
                }
                if stopping {
                    heardAfterStop += 1
                    return
                }
                let node = topic.hasSuffix("/all") ? String(topic.dropLast(4)) : result.header.nodeID
                if monitor.heard(node: node, failed: result.error != nil, at: PipelineClock.seconds()) {
                    sample()
                    progress(String(format: "warm-up over: %d Results in %.1f s; RSS sampled", monitor.heard, elapsed(monitor)))
                }
            }
        }

        var ending: SoakMonitor.Ending?
        var nextSample = startedAt
        var nextTenth = 1
        while ending == nil {
            _ = try receive(100)
            let now = PipelineClock.seconds()
            if StopSignal.isRequested {
                ending = .interrupted
            } else if monitor.isDone {
                sample()
                ending = .reached(monitor.heard)
            } else if let dead = stages.first(where: { !$0.isRunning }) {
                ending = .stageExited(name: dead.name, status: dead.terminationStatus, log: dead.errorTail())
            } else if let stall = monitor.stall(now: now) {
                ending = stall
            } else if now >= nextSample {
                sample()
                nextSample = now + configuration.sampleSeconds
            }
            while nextTenth < 10 && monitor.heard * 10 >= monitor.target * nextTenth {
                let seconds = elapsed(monitor)
                progress(
                    String(
                        format: "%d Results (%d %%) in %.1f s, %.1f/s", monitor.heard, nextTenth * 10, seconds,
                        seconds > 0 ? Double(monitor.heard) / seconds : 0))
                nextTenth += 1
            }
        }
        let endedAt = PipelineClock.seconds()

        // The slow subscriber first, so every line it printed was printed while Results flowed; then
        // ingest, whose end-of-stream Bye lets each encoder drain its credits and exit by itself, so
        // nothing new is sent; the edge answers what it holds; the sink last prints what it counted.
        stopping = true
        slowSubscriber.stop()
        let subscriberStoppedAt = PipelineClock.seconds()
        for stage in ingests {
            stage.stop()
            _ = try receive(0)
        }
        let drained = PipelineClock.seconds() + 4
        while encoders.contains(where: \.isRunning) && PipelineClock.seconds() < drained { _ = try receive(20) }
        for stage in encoders + [edge, sink] {
            stage.stop()
            _ = try receive(0)
        }
        while try receive(100) {}

        var report = SoakReport(configuration, monitor: monitor)
        report.ending = ending.map { "\($0)" } ?? ""
        report.reached = ending?.reachedTarget ?? false
        report.frames = monitor.heard
        report.errors = monitor.errors
        let first = monitor.firstResultAt ?? endedAt
        report.seconds = (monitor.lastResultAt ?? first) - first
        report.resultsPerSecond = report.seconds > 0 ? Double(monitor.heard) / report.seconds : 0
        report.wallSeconds = PipelineClock.seconds() - startedAt
        report.warmupSeconds = monitor.warmupEndedAt.map { $0 - first }
        report.memory = monitor.memory
        let gaps = monitor.longestGaps(until: endedAt)
        report.longestGapSeconds = gaps.first?.seconds ?? 0
        report.longestGapNode = gaps.first?.node ?? ""
        report.subscriber = SubscriberFigures(output: slowSubscriber.standardOutput)
        report.subscriberSeconds = monitor.firstResultAt.map { max(0, subscriberStoppedAt - $0) } ?? 0
        // A line as the first Result arrives, then one per 1 / rate.
        report.expectedSubscriberLines = monitor.firstResultAt == nil ? 0 : 1 + configuration.subscriberRate * report.subscriberSeconds
        report.heardAfterStop = heardAfterStop
        report.unreadable = unreadable

        let sinkOutput = sink.standardOutput
        let sinkSummary = SummaryFields.parse(sinkOutput, lineStartingWith: "sink final: frames=")
        report.sink = sinkSummary.line
        report.sinkFrames = sinkSummary.fields["frames"].flatMap { Int($0) }
        report.edge = SummaryFields.parse(edge.standardOutput, lineStartingWith: "ladon-edge serve:").line
        let gapByNode = Dictionary(gaps.map { ($0.node, $0.seconds) }, uniquingKeysWith: max)
        report.nodes = zip(nodeIDs, zip(encoders, ingests)).map { node, processes in
            var figures = SoakReport.Node(node: node)
            let tally = monitor.nodes[node] ?? SoakMonitor.NodeTally()
            figures.heard = tally.heard
            figures.errors = tally.errors
            figures.longestGapSeconds = gapByNode[node] ?? 0
            let sinkFields = SummaryFields.parse(sinkOutput, lineStartingWith: "sink final: node=\(node) ").fields
            figures.sinkFrames = sinkFields["frames"].flatMap { Int($0) }
            figures.sinkErrors = sinkFields["errors"].flatMap { Int($0) }
            figures.sinkDrops = sinkFields["drops"].flatMap { Int($0) }
            let encoder = SummaryFields.parse(processes.0.standardOutput, lineStartingWith: "ladon-encoder[\(node)]")
            figures.encoder = encoder.line
            figures.encoderDropped = encoder.fields["dropped"].flatMap { Int($0) }
            figures.ingest = SummaryFields.parse(processes.1.standardOutput, lineStartingWith: "ladon-ingest[\(node)]").line
            return figures
        }
        report.verdict = SoakVerdict(
            ending: ending ?? .interrupted, memory: monitor.memory, gaps: gaps, subscriber: report.subscriber,
            expectedLines: report.expectedSubscriberLines, errors: monitor.errors, limits: configuration.limits)
        if case let .stageExited(name, _, log)? = ending, !log.isEmpty { progress("\(name)'s last log lines:\n\(log)") }
        return report
    }

    /// Seconds since the run's first Result (0 before it).
    private func elapsed(_ monitor: SoakMonitor) -> Double {
        monitor.firstResultAt.map { PipelineClock.seconds() - $0 } ?? 0
    }
}
