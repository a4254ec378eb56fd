import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// `ladon-bench broker`: what the edge broker's single I/O thread costs per frame. The real
/// `ladon-edge serve --workers 0` runs as its own process; this process plays one mobile node sending
/// latents at `--rate` under credit, `--workers` workers answering each Job at once with the same
/// official-size Result (a 640x480 segmentation map, 100 detections, the top-5), and the sink. The
/// broker's CPU time (user + system, from /proc) over the measured seconds, divided by the Results the
/// sink received, is its cost per Result.
public enum BrokerBenchmark {
    public static let spec = CommandSpec(
        command: "ladon-bench broker",
        summary: "The edge broker's CPU per Result at a given rate (real broker, stand-in node, workers and sink).",
        options: [
            .value("model", "path", help: "Ladon model file the broker serves (its identity is all that is used).", required: true),
            .value("rate", "per-second", help: "Latents the node sends per second (default 100)."),
            .value("seconds", "n", help: "Measured seconds after a 2-second warm-up (default 10)."),
            .value("workers", "n", help: "Stand-in workers (default 4)."),
        ])

    public static func run(_ arguments: [String]) throws {
        let options = try spec.parse(arguments)
        let rate = try options.number("rate", default: 100.0, expected: "a positive rate") { $0 > 0 }
        let seconds = try options.number("seconds", default: 10.0, expected: "a positive number of seconds") { $0 > 0 }
        let workerCount = try options.number("workers", default: 4, expected: "at least 1") { $0 >= 1 }
        let model = options.required("model")
        StopSignal.install()
        let identity = try ModelIdentity(LadonModelFile(path: model))
        let latent = try MobileEncoder(LadonModelFile(path: model))
            .encode(jpeg: try FileIO.read("samples/bench/astronaut-640x480.jpg")).message
        let answer = AnswerMessage(officialSizeResult(identity))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ladon-broker-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (frontend, backend, results) = ("ipc://\(folder.path)/frontend", "ipc://\(folder.path)/backend", "ipc://\(folder.path)/results")
        let context = try Context()
        defer { context.close() }
        let sink = try context.socket(.pull)
        try sink.set(.maxMessageSize(bytes: MessageKind.receiveLimit(.result)))
        try sink.bind(results)
        let broker = Process()
        broker.executableURL = OwnExecutable.folder.appendingPathComponent("ladon-edge")
        broker.arguments = ["serve", "--model", model, "--frontend", frontend, "--backend", backend, "--sink", results, "--workers", "0"]
        broker.environment = ParentProcess.environmentForChild()
        broker.standardOutput = FileHandle.nullDevice
        broker.standardError = FileHandle.nullDevice
        try broker.run()
        defer {
            if broker.isRunning {
                broker.terminate()
                broker.waitUntilExit()
            }
            sink.close()
        }
        var workers: [Socket] = []
        for index in 0..<workerCount {
            let worker = try context.socket(.dealer)
            try worker.set(.routingID(PeerRoute.routingID(for: "bench-worker-\(index)")))
            try worker.connect(backend)
            try worker.send(
                Envelope(ControlMessage.hello(.init(peerID: "bench-worker-\(index)", role: .worker, model: identity, incarnation: 1))).frames())
            try worker.send(Envelope(ControlMessage.ready(.init(workerID: "bench-worker-\(index)", capacity: 1))).frames())
            workers.append(worker)
        }
        defer { for worker in workers { worker.close() } }
        let node = try context.socket(.dealer)
        defer { node.close() }
        try node.set(.routingID(PeerRoute.routingID(for: "bench-node")))
        try node.connect(frontend)
        let hello = Envelope(ControlMessage.hello(.init(peerID: "bench-node", role: .node, model: identity, window: 8, incarnation: 7)))

        var poller = Poller()
        poller.add(node)
        poller.add(sink)
        for worker in workers { poller.add(worker) }
        var credits = 0
        var sequence: UInt64 = 0
        var received = 0
        var lastHello = -Double.infinity
        let start = PipelineClock.seconds()
        var nextSend = start
        var measuredFrom: (at: Double, cpu: Double, received: Int)?
        let end = start + 2 + seconds
        while PipelineClock.seconds() < end && !StopSignal.isRequested {
            let now = PipelineClock.seconds()
            if credits == 0 && sequence == 0 && now - lastHello > 1 {
                try node.send(hello.frames())
                lastHello = now
            }
            if measuredFrom == nil && now >= start + 2 { measuredFrom = (now, try cpuSeconds(broker.processIdentifier), received) }
            while credits > 0 && now >= nextSend {
                sequence += 1
                var message = latent
                message.header = FrameHeader(nodeID: "bench-node", sequence: sequence, captureTimeMicroseconds: PipelineClock.wallMicroseconds())
                try node.send(Envelope(message).frames())
                credits -= 1
                nextSend += 1 / rate
            }
            if credits == 0 && now >= nextSend { nextSend = now }  // short of credit: the broker is the bottleneck
            let ready = try poller.poll(timeoutMilliseconds: max(0, min(10, Int((nextSend - now) * 1000))))
            if ready[0].contains(.readable) {
                while let frames = try node.tryReceive() {
                    if case let .credit(credit) = try Envelope(frames: frames).decode(ControlMessage.self) { credits += Int(credit.grants) }
                }
            }
            if ready[1].contains(.readable) { while try sink.tryReceive() != nil { received += 1 } }
            for (index, worker) in workers.enumerated() where ready[2 + index].contains(.readable) {
                while let frames = try worker.tryReceive() {
                    if try Envelope(frames: frames).kind == .job { try worker.send(Envelope(answer).frames()) }
                }
            }
        }
        guard let from = measuredFrom else { return }
        let elapsed = PipelineClock.seconds() - from.at
        let cpu = try cpuSeconds(broker.processIdentifier) - from.cpu
        let answered = received - from.received
        print(
            "ladon-bench broker: \(workerCount) stand-in workers, Result of \(answer.result.count) bytes, latent of \(latent.coded.count) coded bytes"
        )
        print(
            String(
                format: "results %d in %.1f s (%.1f/s, asked %.0f/s); broker CPU %.3f s = %.1f%% of a core, %.3f ms per result",
                answered, elapsed, Double(answered) / elapsed, rate, cpu, 100 * cpu / elapsed, answered > 0 ? cpu * 1000 / Double(answered) : .nan))
    }

    /// User + system CPU seconds of a process so far (/proc/PID/stat fields 14 and 15, in clock ticks).
    static func cpuSeconds(_ pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        guard let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// A Result as an official-size frame gives it: a 640x480 label map of a few regions with ragged
    /// edges, 100 detections, the top-5 and the usual timings.
    static func officialSizeResult(_ identity: ModelIdentity) -> ResultMessage {
        let size = ImageSize(height: 480, width: 640)
        var generator = SystemRandomNumberGenerator()
        var labels = [UInt8](repeating: 0, count: size.height * size.width)
        for region in 0..<12 {
            let (x, y) = (Int.random(in: 0..<560, using: &generator), Int.random(in: 0..<400, using: &generator))
            for row in y..<y + 80 {
                let jitter = Int.random(in: 0..<6, using: &generator)
                for column in x + jitter..<min(size.width, x + 80 + jitter) { labels[row * size.width + column] = UInt8(1 + region % 20) }
            }
        }
        let detections = (0..<100).map { index in
            DetectedObject(
                box: Box(x1: Float(index), y1: Float(index), x2: Float(index + 50), y2: Float(index + 40)), label: 1 + index % 90,
                name: "class \(index % 90)", score: 0.9 - Float(index) * 0.008)
        }
        return ResultMessage(
            header: FrameHeader(nodeID: "bench-node", sequence: 1), model: identity, originalSize: size,
            tasks: TaskResults(
                classification: Classification(top: (0..<5).map { ClassScore(classIndex: $0, name: "class \($0)", probability: 0.2) }),
                detections: detections,
                segmentation: SegmentationMap(size: size, labels: labels, classNames: (0..<21).map { "class \($0)" })),
            timings: ["node_to_edge", "edge_queue", "entropy_decode", "trunk", "classification", "segmentation", "detection"].map {
                StageTiming(stage: $0, milliseconds: 12.5)
            },
            latentBytes: UInt64(40_000))
    }
}
