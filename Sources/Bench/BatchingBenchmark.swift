import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// `ladon-bench batching`: throughput and latency with and without worker batching, side by side. For
/// each node count, the real `ladon-edge serve` (its local workers running the model) is started once
/// with `--max-batch 1` and once with `--max-batch B`, in turn, round after round; this process plays
/// the nodes (each sends the same official-size latent whenever it holds credit, so with window W a node
/// keeps W frames in flight) and the sink. A run starts at the first Result (the model loaded, the
/// worker warm); the frames sent in the next `--seconds` are counted, and the run ends when the last of
/// them is answered, so a batching run is charged for its whole last batch. Measured: those frames per
/// second, per CPU second of the broker and its workers (frames/s per core), and each one's latency
/// from the node's send to the sink's receipt (p50, p99).
public enum BatchingBenchmark {
    public static let spec = CommandSpec(
        command: "ladon-bench batching",
        summary: "Frames/s per core and p50/p99 latency at several node counts, worker batching against none, interleaved.",
        options: [
            .value("model", "path", help: "Ladon model file the edge runs.", required: true),
            .value("nodes", "list", help: "Node counts, comma-separated (default 1,4,8)."),
            .value("max-batch", "n", help: "The batching runs' --max-batch (default 8)."),
            .value("batch-wait-ms", "ms", help: "The batching runs' --batch-wait-ms (default 2)."),
            .value("window", "n", help: "Each node's credit window: frames it keeps in flight (default 1)."),
            .value("workers", "n", help: "Local worker processes (default 1)."),
            .value("threads", "n", help: "Compute threads per worker (default 2)."),
            .value("seconds", "n", help: "Seconds of sending per run after its first Result; its frames are then waited for (default 10)."),
            .value("rounds", "n", help: "Rounds; each runs every configuration once (default 1)."),
            .value("image", "path", help: "The JPEG every node sends, encoded once (default samples/bench/astronaut-640x480.jpg)."),
        ])

    struct Settings {
        var model: String
        var window: Int
        var workers: Int
        var threads: Int
        var seconds: Double
        var batchWaitMilliseconds: Int
    }

    public static func run(_ arguments: [String]) throws {
        let options = try spec.parse(arguments)
        let nodeCounts = try (options.value("nodes") ?? "1,4,8").split(separator: ",").map { text in
            guard let count = Int(text), count >= 1 else {
                throw CommandLineError.invalidValue(option: "nodes", value: String(text), expected: "node counts of 1 or more")
            }
            return count
        }
        let maxBatch = try options.number("max-batch", default: 8, expected: "2 to 16") { (2...16).contains($0) }
        let settings = Settings(
            model: options.required("model"),
            window: try options.number("window", default: 1, expected: "at least 1") { $0 >= 1 },
            workers: try options.number("workers", default: 1, expected: "at least 1") { $0 >= 1 },
            threads: try options.number("threads", default: 2, expected: "at least 1") { $0 >= 1 },
            seconds: try options.number("seconds", default: 10.0, expected: "a positive number of seconds") { $0 > 0 },
            batchWaitMilliseconds: try options.number("batch-wait-ms", default: 2, expected: "0 to 1000") { (0...1000).contains($0) })
        let rounds = try options.number("rounds", default: 1, expected: "at least 1") { $0 >= 1 }
        StopSignal.install()
        let latent = try MobileEncoder(LadonModelFile(path: settings.model))
            .encode(jpeg: try FileIO.read(options.value("image") ?? "samples/bench/astronaut-640x480.jpg")).message
        print(
            "ladon-bench batching: \(settings.workers) worker(s) x \(settings.threads) thread(s), window \(settings.window), "
                + "batching runs --max-batch \(maxBatch) --batch-wait-ms \(settings.batchWaitMilliseconds), "
                + "latent \(latent.latentShape) (\(latent.coded.count) coded bytes), \(settings.seconds) s per run")
        var report = BatchingReport()
        for round in 1...rounds {
            for nodes in nodeCounts {
                for batch in [1, maxBatch] where !StopSignal.isRequested {
                    let run = try measure(nodes: nodes, maxBatch: batch, latent: latent, settings)
                    print(
                        String(
                            format: "round %d: nodes %d max-batch %d: %d results in %.1f s, %.2f frames/core-s, p50 %.1f ms, p99 %.1f ms",
                            round, nodes, batch, run.results, run.seconds, run.framesPerCoreSecond, run.p50, run.p99))
                    report.runs.append(run)
                }
            }
        }
        for line in report.lines { print(line) }
    }

    /// One configuration: the edge started, `nodes` nodes sending under credit, measured, the edge stopped.
    static func measure(nodes: Int, maxBatch: Int, latent: LatentMessage, _ settings: Settings) throws -> BatchingReport.Run {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ladon-batching-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (frontend, results) = ("ipc://\(folder.path)/frontend", "ipc://\(folder.path)/results")
        let context = try Context()
        defer { context.close() }
        let sink = try context.socket(.pull)
        defer { sink.close() }
        try sink.set(.maxMessageSize(bytes: MessageKind.receiveLimit(.result)))
        try sink.bind(results)
        let edge = Process()
        edge.executableURL = OwnExecutable.folder.appendingPathComponent("ladon-edge")
        edge.arguments = [
            "serve", "--model", settings.model, "--frontend", frontend, "--sink", results, "--workers", "\(settings.workers)",
            "--threads", "\(settings.threads)", "--max-batch", "\(maxBatch)", "--batch-wait-ms", "\(settings.batchWaitMilliseconds)",
        ]
        edge.environment = ParentProcess.environmentForChild()
        edge.standardOutput = FileHandle.nullDevice
        edge.standardError = FileHandle.nullDevice
        try edge.run()
        defer {
            if edge.isRunning {
                edge.terminate()
                edge.waitUntilExit()
            }
        }
        var sockets: [Socket] = []
        defer { for socket in sockets { socket.close() } }
        for index in 0..<nodes {
            let node = try context.socket(.dealer)
            sockets.append(node)
            try node.set(.routingID(PeerRoute.routingID(for: "bench-\(index)")))
            try node.connect(frontend)
        }
        var poller = Poller()
        for node in sockets { poller.add(node) }
        poller.add(sink)
        var credits = [Int](repeating: 0, count: nodes)
        var sequences = [UInt64](repeating: 0, count: nodes)
        // Send times of the frames sent while measuring, by "node/sequence"; the run ends when they are all answered.
        var counting: [String: Double] = [:]
        var lastHello = -Double.infinity
        var measuring: (from: Double, cpu: Double)?
        var lastAnswer = 0.0
        var latencies: [Double] = []
        let giveUp = PipelineClock.seconds() + 300
        while !StopSignal.isRequested {
            let now = PipelineClock.seconds()
            let sending = measuring.map { now - $0.from < settings.seconds } ?? true
            if measuring != nil, !sending, counting.isEmpty { break }
            guard now < giveUp else { throw BenchmarkError.noResults(seconds: 300) }
            if measuring == nil && now - lastHello > 1 {
                for (index, node) in sockets.enumerated() where sequences[index] == 0 {
                    try node.send(
                        Envelope(
                            ControlMessage.hello(
                                .init(peerID: "bench-\(index)", role: .node, model: latent.model, window: UInt32(settings.window), incarnation: 1))
                        ).frames())
                }
                lastHello = now
            }
            for (index, node) in sockets.enumerated() where sending {
                while credits[index] > 0 {
                    sequences[index] += 1
                    var message = latent
                    message.header = FrameHeader(
                        nodeID: "bench-\(index)", sequence: sequences[index], captureTimeMicroseconds: PipelineClock.wallMicroseconds())
                    if measuring != nil { counting["bench-\(index)/\(sequences[index])"] = PipelineClock.seconds() }
                    try node.send(Envelope(message).frames())
                    credits[index] -= 1
                }
            }
            let ready = try poller.poll(timeoutMilliseconds: 10)
            for (index, node) in sockets.enumerated() where ready[index].contains(.readable) {
                while let frames = try node.tryReceive() {
                    if case let .credit(credit) = try? Envelope(frames: frames).decode(ControlMessage.self) { credits[index] += Int(credit.grants) }
                }
            }
            guard ready[nodes].contains(.readable) else { continue }
            while let frames = try sink.tryReceive() {
                let received = PipelineClock.seconds()
                guard let result = try? Envelope(frames: frames).decode(ResultMessage.self) else { continue }
                // The first Result starts the measurement (the model is loaded, the worker warm): only
                // frames sent from then on count, so a batch computed before it is not counted in it.
                guard measuring != nil else {
                    measuring = (received, try edgeCPUSeconds(edge.processIdentifier))
                    continue
                }
                guard let sent = counting.removeValue(forKey: "\(result.header.nodeID)/\(result.header.sequence)") else { continue }
                latencies.append((received - sent) * 1000)
                lastAnswer = received
            }
        }
        let cpu = try measuring.map { try edgeCPUSeconds(edge.processIdentifier) - $0.cpu } ?? 0
        return BatchingReport.Run(
            nodes: nodes, maxBatch: maxBatch, seconds: measuring.map { lastAnswer - $0.from } ?? 0, results: latencies.count,
            cpuSeconds: cpu, latenciesMilliseconds: latencies)
    }

    /// CPU seconds of the edge process and its worker children so far.
    static func edgeCPUSeconds(_ pid: Int32) throws -> Double {
        try ([pid] + ProcessTable.children(of: pid)).reduce(0) { $0 + (try BrokerBenchmark.cpuSeconds($1)) }
    }
}
