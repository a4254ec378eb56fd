import Foundation
import LadonIngest
import Shared

/// `ladon-bench link`: flow control on a shaped link, measured on the real pipeline. Each mode is one
/// run of the real processes on ipc:// endpoints in a fresh temporary folder: `ladon-sink serve`,
/// `ladon-edge serve --workers N` (real inference; `--hold-ms` makes the edge slower), `ladon-encoder run
/// --link-kbps K` (its token bucket is the link) and `ladon-ingest --loop --fps F`. The benchmark
/// subscribes to the sink's `<node>/all` topic and reads every Result as the sink published it: its
/// capture time, its arrival time at the edge (`node_to_edge`), its `dropped_before` and its latent's
/// size. From those (LinkAccounting):
/// - the link: each latent was on the link for bytes / rate seconds up to its arrival at the edge;
///   utilisation is the share of a measurement window, opened a warm-up after the first latent
///   arrived, during which the link carried latent bytes;
/// - the frames of a window are the latents that finished crossing in it; their latency is capture to
///   the sink, their drops the frames the node dropped before them;
/// - the unloaded one-frame latency: one frame every few link times (W=1), so each has the pipeline to
///   itself; the loaded modes' latency is compared with it.
///
/// The modes: credit W=1 and W=2 with the freshest frame (the pipeline), stop-and-wait (queue policy,
/// W=1) and an unbounded push (queue policy, a huge window: the real broker still grants at most its
/// credit target, so frames queue in the encoder instead, in order, and latency grows the same way).
/// Where processes run and how the link is shaped is `LinkPlacement`.
public struct LinkBenchmark {
    public struct Mode: Sendable, Equatable, Codable {
        public var name: String
        public var window: Int
        /// `ladon-encoder run --policy`: freshest or queue.
        public var policy: String

        public init(name: String, window: Int, policy: String) {
            self.name = name
            self.window = window
            self.policy = policy
        }
    }

    public static let unloadedMode = Mode(name: "unloaded (one frame at a time, W=1)", window: 1, policy: "freshest")
    public static let loadedModes = [
        Mode(name: "credit W=1, freshest", window: 1, policy: "freshest"),
        Mode(name: "credit W=2, freshest", window: 2, policy: "freshest"),
        Mode(name: "stop-and-wait (queue, W=1)", window: 1, policy: "queue"),
        Mode(name: "unbounded push (queue, W=100000)", window: 100_000, policy: "queue"),
    ]

    public struct Configuration: Sendable {
        public var model: String
        /// Frames for ingest: a JPEG, a directory or a glob, looped.
        public var source = "samples/frames"
        public var kilobitsPerSecond = 100.0
        /// The camera's rate in the loaded modes; the link should be the bottleneck.
        public var framesPerSecond = 15.0
        /// Measured seconds per loaded mode; `nil`: `Plan`'s default from the source's latent size.
        public var secondsPerMode: Double?
        public var warmupSeconds: Double?
        /// Frames measured alone in the unloaded mode, and the time between them (`nil`: from the latent size).
        public var unloadedFrames = 8
        public var unloadedPeriodSeconds: Double?
        public var workers = 1
        /// `ladon-edge serve --hold-ms`: each frame stays this much longer at the edge.
        public var holdMilliseconds = 0
        /// Short windows, fewer unloaded frames: the benchmark end to end in seconds (tests).
        public var quick = false
        /// Keep every process's output under this folder (one subfolder per mode) instead of discarding it.
        public var logs: String?
        public var placement = LinkPlacement.local
        public var nodeID = "bench"

        public init(model: String) { self.model = model }
    }

    /// How long each run lasts, from the link time of the source's latents.
    public struct Plan: Sendable, Equatable, Codable {
        public var secondsPerMode: Double
        public var warmupSeconds: Double
        public var unloadedFrames: Int
        public var unloadedPeriodSeconds: Double

        /// Defaults: a window of 30 link times of the mean latent (at least 30 s; quick: 8, at least 2 s), a
        /// warm-up of two link times of the largest (at least 2 s; quick: one, at least 0.5 s), and unloaded
        /// frames 2 x (the largest latent's link time + the hold) + 1 s apart.
        public init(_ configuration: Configuration, meanLinkSeconds: Double, maximumLinkSeconds: Double) {
            let quick = configuration.quick
            secondsPerMode = configuration.secondsPerMode ?? (quick ? max(2, 8 * meanLinkSeconds) : max(30, 30 * meanLinkSeconds))
            warmupSeconds = configuration.warmupSeconds ?? (quick ? max(0.5, maximumLinkSeconds) : max(2, 2 * maximumLinkSeconds))
            unloadedFrames = quick ? min(configuration.unloadedFrames, 3) : configuration.unloadedFrames
            unloadedPeriodSeconds =
                configuration.unloadedPeriodSeconds ?? 2 * (maximumLinkSeconds + Double(configuration.holdMilliseconds) / 1000) + 1
        }
    }

    let configuration: Configuration

    public init(_ configuration: Configuration) { self.configuration = configuration }

    /// Runs the unloaded mode, then every loaded mode; `progress` gets each line of the table as soon as
    /// it is known. Throws when a stage dies or no Result arrives.
    public func run(progress: (String) -> Void = { _ in }) throws -> LinkReport {
        let sizes = try LatentSizes(model: configuration.model, source: configuration.source)
        let rate = configuration.kilobitsPerSecond * 1000 / 8
        let plan = Plan(
            configuration, meanLinkSeconds: sizes.meanWireBytes / rate, maximumLinkSeconds: Double(sizes.maximumWireBytes) / rate)
        var report = LinkReport(configuration, plan: plan, sizes: sizes)
        report.header.forEach(progress)

        let unloadedRun = try runPipeline(
            Self.unloadedMode, framesPerSecond: 1 / plan.unloadedPeriodSeconds,
            until: .answered(plan.unloadedFrames + 1, within: Double(plan.unloadedFrames + 2) * plan.unloadedPeriodSeconds + 30),
            sizes: sizes)
        report.unloaded = UnloadedFigures(unloadedRun.delivered, period: plan.unloadedPeriodSeconds)
        report.unloaded?.counters = unloadedRun.counters
        report.unloadedLine.map(progress)
        progress(LinkReport.tableHeading)
        for mode in Self.loadedModes where !StopSignal.isRequested {
            let goal = RunEnding.Goal.window(
                warmup: plan.warmupSeconds, seconds: plan.secondsPerMode, kilobitsPerSecond: configuration.kilobitsPerSecond,
                patience: 3 * Double(sizes.maximumWireBytes) / rate + 30)
            let run = try runPipeline(mode, framesPerSecond: configuration.framesPerSecond, until: goal, sizes: sizes)
            guard let window = run.window else { throw LinkBenchmarkError.interrupted }
            var result = ModeResult(mode: mode, figures: ModeFigures(run.delivered, window: window), counters: run.counters)
            result.compare(with: report.unloaded)
            report.modes.append(result)
            progress(result.row)
        }
        report.footer.forEach(progress)
        return report
    }

    // MARK: One run of the pipeline

    struct PipelineRun {
        var delivered: [DeliveredFrame] = []
        var window: LinkWindow?
        var counters = PipelineCounters()
    }

    /// Starts sink, edge, encoder and ingest for `mode`, collects every Result the sink publishes until
    /// `goal`, then stops the stages (ingest first) and reads their summaries.
    func runPipeline(_ mode: Mode, framesPerSecond: Double, until goal: RunEnding.Goal, sizes: LatentSizes) throws -> PipelineRun {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ladon-link-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let logs = configuration.logs.map { URL(fileURLWithPath: $0).appendingPathComponent(mode.slug) } ?? folder
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let endpoints = configuration.placement.endpoints(folder.path)
        let placement = configuration.placement
        let kbps = configuration.kilobitsPerSecond
        let holdSeconds = Double(configuration.holdMilliseconds) / 1000

        let context = try Context()
        defer { context.close() }
        let subscriber = try context.socket(.subscriber)
        defer { subscriber.close() }
        try subscriber.set(.maxMessageSize(bytes: MessageKind.receiveLimit(.result)))
        try subscriber.set(.subscribe(prefix: Array("\(configuration.nodeID)/all".utf8)))

        var stages: [StageProcess] = []
        defer { for stage in stages.reversed() { stage.stop() } }
        func start(_ name: String, _ executable: String, _ arguments: [String], _ launcher: [String]) throws {
            stages.append(try StageProcess(name, executable: executable, arguments: arguments, launcher: launcher, logs: logs))
        }
        try start(
            "sink", "ladon-sink", ["serve", "--results", endpoints.results.bind, "--publish", endpoints.publish.bind],
            placement.edgeLauncher)
        try PublishedResults.connect(subscriber, to: endpoints.publish.connect, of: stages[0])
        try start(
            "edge", "ladon-edge",
            [
                "serve", "--model", configuration.model, "--frontend", endpoints.frontend.bind, "--backend", endpoints.backend,
                "--sink", endpoints.results.connect, "--workers", "\(configuration.workers)",
                "--hold-ms", "\(configuration.holdMilliseconds)",
            ] + placement.linkArguments, placement.edgeLauncher)
        try start(
            "encoder", "ladon-encoder",
            [
                "run", "--model", configuration.model, "--ingest", endpoints.ingest.bind, "--edge", endpoints.frontend.connect,
                "--node-id", configuration.nodeID, "--window", "\(mode.window)", "--policy", mode.policy, "--drain-timeout", "0",
            ] + (placement.encoderShapes ? ["--link-kbps", "\(kbps)"] : []) + placement.linkArguments, placement.nodeLauncher)
        try start(
            "ingest", "ladon-ingest",
            [
                "--source", configuration.source, "--loop", "--fps", "\(framesPerSecond)", "--connect", endpoints.ingest.connect,
                "--node-id", configuration.nodeID, "--finish-timeout", "0",
            ], placement.nodeLauncher)

        var run = PipelineRun()
        let started = Self.now()
        let maximumLink = Double(sizes.maximumWireBytes) / (kbps * 125)
        // The longest a Result took from its latent's arrival at the edge to the sink (compute, queue, return).
        var slowestTurn = 0.0
        var poller = Poller()
        poller.add(subscriber)
        /// Reads what the sink published within `timeoutMilliseconds` (and all that is queued).
        func receive(_ timeoutMilliseconds: Int) throws -> Bool {
            try PublishedResults.receive(subscriber, &poller, timeoutMilliseconds: timeoutMilliseconds) { _, result in
                guard let result else {
                    run.counters.unreadable += 1
                    return
                }
                let frame = sizes.delivered(result, received: Self.now())
                if let transmission = frame.transmission { slowestTurn = max(slowestTurn, frame.received - transmission.end) }
                run.delivered.append(frame)
            }
        }
        var ending = RunEnding(goal, startedAt: started, firstResultWithin: 60 + 4 * maximumLink + holdSeconds)
        while !StopSignal.isRequested {
            _ = try receive(100)
            if let dead = stages.first(where: { !$0.isRunning }) {
                throw LinkBenchmarkError.stageExited(name: dead.name, status: dead.terminationStatus, log: dead.errorTail())
            }
            let answered = run.delivered.filter { !$0.failed }.compactMap(\.transmission)
            if ending.isDone(now: Self.now(), answered: answered, slowestTurn: slowestTurn) { break }
        }
        run.window = ending.window
        run.counters.cutShort = ending.cutShort
        guard run.delivered.contains(where: { !$0.failed && $0.transmission != nil }) || StopSignal.isRequested else {
            throw LinkBenchmarkError.noResults(mode: mode.name, seconds: Self.now() - started)
        }
        let measured = run.delivered.count
        // Ingest and encoder first, so nothing new is sent; the edge then answers what it holds (error
        // Results, not counted in the figures) and the sink says how many Results it counted in all.
        for stage in stages.reversed() {
            stage.stop()
            _ = try receive(0)
        }
        while try receive(300) {}
        run.counters.read(stages, heard: run.delivered.count, measured: measured)
        run.delivered.removeLast(run.delivered.count - measured)
        if StopSignal.isRequested { throw LinkBenchmarkError.interrupted }
        return run
    }

    static func now() -> Double { Double(PipelineClock.wallMicroseconds()) / 1_000_000 }
}

extension LinkBenchmark.Mode {
    /// A folder name for the mode's logs.
    var slug: String {
        String(name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }).split(separator: "-").joined(separator: "-")
    }
}

/// When a run of the pipeline has what it needs, apart from sockets and clocks: times are seconds on the
/// clock of the Results, `answered` the link passages of the answered latents so far.
public struct RunEnding: Sendable {
    public enum Goal: Sendable {
        /// This many answered Results, or as many as came `within` seconds of the first one.
        case answered(Int, within: Double)
        /// A measurement window that opens `warmup` after the first latent reached the edge and lasts
        /// `seconds`, and every latent that finished crossing in it answered; cut short `patience` seconds
        /// after the window's end.
        case window(warmup: Double, seconds: Double, kilobitsPerSecond: Double, patience: Double)
    }

    public let goal: Goal
    /// No Result by then: the run is given up.
    public let firstDeadline: Double
    public private(set) var window: LinkWindow?
    /// Ended by `patience` or the first deadline, not by the goal.
    public private(set) var cutShort = false
    private var closedAt: Double?

    public init(_ goal: Goal, startedAt: Double, firstResultWithin: Double) {
        self.goal = goal
        firstDeadline = startedAt + firstResultWithin
    }

    /// Whether the run can stop at `now`. `slowestTurn` is the longest a Result took from its latent's
    /// arrival at the edge to the sink: once a latent that started crossing after the window is answered,
    /// every latent before it is too, but for one still at another worker, which one more turn covers.
    public mutating func isDone(now: Double, answered: [LinkTransmission], slowestTurn: Double) -> Bool {
        guard let first = answered.map(\.end).min() else {
            cutShort = now > firstDeadline
            return cutShort
        }
        switch goal {
        case let .answered(count, within):
            if answered.count >= count { return true }
            cutShort = now > first + within
            return cutShort
        case let .window(warmup, seconds, kilobitsPerSecond, patience):
            let window = LinkWindow(from: first + warmup, to: first + warmup + seconds, kilobitsPerSecond: kilobitsPerSecond)
            self.window = window
            guard now >= window.end else { return false }
            if closedAt == nil, answered.contains(where: { window.firstByte(of: $0) >= window.end }) { closedAt = now }
            if let closedAt, now >= closedAt + 2 * slowestTurn + 0.2 { return true }
            cutShort = now > window.end + patience
            return cutShort
        }
    }
}

/// Where the link benchmark's processes run and how the link between node and edge is shaped: by
/// default all on this host, on ipc:// endpoints in the run's temporary folder, the encoder's token
/// bucket being the link. A link shaped outside the processes (a kernel-shaped interface between
/// network namespaces) sets `encoderShapes` to false, tcp:// endpoints across it, and launchers that
/// start each side's processes on its side; the rate still sizes the accounting.
public struct LinkPlacement: Sendable {
    public struct Endpoint: Sendable {
        /// Where the serving process binds and where its peer connects (the same for ipc://).
        public var bind: String
        public var connect: String

        public init(bind: String, connect: String) {
            self.bind = bind
            self.connect = connect
        }

        public init(_ both: String) { self.init(bind: both, connect: both) }
    }

    public struct Endpoints: Sendable {
        /// The encoder binds it, ingest connects (the node's side).
        public var ingest: Endpoint
        /// The edge binds it, the encoder connects: the shaped link.
        public var frontend: Endpoint
        /// The edge's workers (the edge's side).
        public var backend: String
        /// The sink binds it, the edge pushes Results to it.
        public var results: Endpoint
        /// The sink publishes, the benchmark subscribes.
        public var publish: Endpoint

        public static func ipc(in folder: String) -> Endpoints {
            Endpoints(
                ingest: Endpoint("ipc://\(folder)/ingest"), frontend: Endpoint("ipc://\(folder)/frontend"),
                backend: "ipc://\(folder)/backend", results: Endpoint("ipc://\(folder)/results"),
                publish: Endpoint("ipc://\(folder)/publish"))
        }
    }

    /// The endpoints of one run, given its fresh temporary folder.
    public var endpoints: @Sendable (String) -> Endpoints = { Endpoints.ipc(in: $0) }
    /// Commands that run the rest of their arguments on the node's side (ingest, encoder) and on the
    /// edge's side (edge, sink); empty: here.
    public var nodeLauncher: [String] = []
    public var edgeLauncher: [String] = []
    /// The encoder's token bucket shapes the link at the benchmark's rate (`--link-kbps`).
    public var encoderShapes = true
    /// Arguments for the two processes on the link's ends (edge, encoder), e.g. `--insecure` for tcp://.
    public var linkArguments: [String] = []
    /// The kernel shapes the link (tbf on a veth pair between namespaces).
    public var kernelShapes = false

    /// Where the link is shaped, in words, for the report.
    public var shaping: String {
        if kernelShapes { return "tbf on a veth pair between network namespaces" }
        return encoderShapes ? "the encoder's token bucket" : "shaped outside the processes"
    }

    public static let local = LinkPlacement()

    /// The node (ingest, encoder) and the edge (edge, sink) in `lab`'s namespaces `node` and `edge`, the
    /// latents crossing its veth pair on tcp:// (plaintext: the lab is the whole network), shaped by the
    /// kernel; the other hops stay on ipc:// (a path in the file system reaches across namespaces).
    public static func namespaces(_ lab: NetworkLab, port: Int = 5555) throws -> LinkPlacement {
        let edge = "tcp://\(try lab.address(of: "edge", towards: "node")):\(port)"
        var placement = LinkPlacement()
        placement.endpoints = { folder in
            var endpoints = Endpoints.ipc(in: folder)
            endpoints.frontend = Endpoint(edge)
            return endpoints
        }
        placement.nodeLauncher = lab.launcher("node")
        placement.edgeLauncher = lab.launcher("edge")
        placement.encoderShapes = false
        placement.kernelShapes = true
        placement.linkArguments = ["--insecure"]
        return placement
    }
}

public enum LinkBenchmarkError: Error, CustomStringConvertible {
    case stageExited(name: String, status: Int32, log: String)
    case noResults(mode: String, seconds: Double)
    case noFrames(source: String)
    case interrupted

    public var description: String {
        switch self {
        case let .stageExited(name, status, log):
            return "the \(name) process exited early (status \(status)); its last log lines:\n\(log)"
        case let .noResults(mode, seconds):
            return "\(mode): no Result reached the sink in \(Int(seconds)) s (keep the stages' logs with --logs DIR)"
        case let .noFrames(source): return "no JPEG frames to encode in \(source)"
        case .interrupted: return "interrupted"
        }
    }
}

/// The latents the source's frames make, encoded once here before the runs: how many bytes each
/// Result's latent took on the link (the whole ZeroMQ message the token bucket counts, kind tag
/// included). A Result carries its latent's coded size and header; the other fields (model, sizes,
/// shape) follow from the frame's size, so the latent is rebuilt from a frame of that size with the
/// Result's header and coded size, byte for byte what crossed.
public struct LatentSizes: Sendable {
    private var bySize: [String: LatentMessage] = [:]
    public private(set) var meanWireBytes = 0.0
    public private(set) var maximumWireBytes = 0

    /// Encodes up to `limit` of the source's frames (in ingest's order).
    public init(model: String, source: String, limit: Int = 32) throws {
        let encoder = try MobileEncoder(LadonModelFile(path: model))
        let paths = Array(try FileSequenceSource.expand(source).prefix(limit))
        var total = 0
        var count = 0
        for path in paths {
            guard let jpeg = try? FileIO.read(path, what: "frame"), let output = try? encoder.encode(jpeg: jpeg) else { continue }
            let bytes = Envelope(output.message).wireBytes
            total += bytes
            count += 1
            maximumWireBytes = max(maximumWireBytes, bytes)
            bySize[Self.key(output.message.originalSize)] = output.message
        }
        guard count > 0 else { throw LinkBenchmarkError.noFrames(source: source) }
        meanWireBytes = Double(total) / Double(count)
    }

    /// The latent `result` answers as it crossed the link: `nil` when no frame of its size was encoded here.
    public func wireBytes(of result: ResultMessage) -> Int? {
        guard var latent = bySize[Self.key(result.originalSize)] else { return nil }
        latent.header = result.header
        if latent.coded.count != Int(result.latentBytes) { latent.coded = [UInt8](repeating: 0, count: Int(result.latentBytes)) }
        return Envelope(latent).wireBytes
    }

    /// What the benchmark keeps of a Result received at `received` (seconds).
    func delivered(_ result: ResultMessage, received: Double) -> DeliveredFrame {
        let captured = Double(result.header.captureTimeMicroseconds) / 1_000_000
        let transmission = result.timings.first { $0.stage == "node_to_edge" }.flatMap { stage in
            wireBytes(of: result).map { LinkTransmission(end: captured + stage.milliseconds / 1000, bytes: $0) }
        }
        return DeliveredFrame(
            sequence: result.header.sequence, captured: captured, received: received, transmission: transmission,
            droppedBefore: result.header.droppedBefore, failed: result.error != nil)
    }

    private static func key(_ size: ImageSize) -> String { "\(size.width)x\(size.height)" }
}
