import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// `ladon-bench link`: flow control on a shaped link. The real `ladon-ingest` and `ladon-encoder run`
/// processes send to a STAND-IN EDGE inside this process: a broker that speaks the credit contract and one
/// worker that holds each latent for `--edge-ms` instead of running inference (the link is the
/// bottleneck under test, not the edge). For each mode it reports link utilisation (message bytes that
/// crossed the shaped link per second over the rate) and the median end-to-end latency (capture to the
/// stand-in's result), next to the unloaded one-frame latency (one frame at a time, link idle).
enum LinkBenchmark {
    static let spec = CommandSpec(
        command: "ladon-bench link",
        summary: "Credit window vs stop-and-wait vs unbounded push on a shaped link (real mobile stages, stand-in edge).",
        options: [
            .value("model", "path", help: "Ladon model file.", required: true),
            .value("source", "path", help: "Frames: a JPEG, directory or glob (default samples/frames)."),
            .value("kbps", "rate", help: "Link rate in kilobits per second (default 100)."),
            .value("fps", "rate", help: "Camera frame rate; pick it so the link is the bottleneck (default 15)."),
            .value("seconds", "n", help: "Measured seconds per mode (default 10)."),
            .value("edge-ms", "ms", help: "Stand-in edge compute time per latent (default 50)."),
        ])

    struct Mode {
        let name: String
        let window: Int
        let policy: String
    }

    struct Measurement {
        var latencies: [Double] = []
        var arrivals: [(at: Double, bytes: Int)] = []
        var dropped: UInt64 = 0
    }

    static func run(_ arguments: [String]) throws {
        let options = try spec.parse(arguments)
        StopSignal.install()
        func number(_ name: String, _ fallback: Double) throws(CommandLineError) -> Double {
            try options.number(name, default: fallback, expected: "a positive number") { $0 > 0 }
        }
        let kbps = try number("kbps", 100)
        let fps = try number("fps", 15)
        let seconds = try number("seconds", 10)
        let edgeMilliseconds = try number("edge-ms", 50)
        let source = options.value("source") ?? "samples/frames"
        let model = options.required("model")

        print("ladon-bench link: \(kbps) kbps shaped link, \(fps) fps camera, \(Int(seconds)) s per mode")
        print("edge: STAND-IN (in-process broker + one worker holding each latent \(edgeMilliseconds) ms; no inference)")
        let unloaded = try measure(
            Mode(name: "unloaded", window: 1, policy: "freshest"), model: model, source: source,
            kbps: kbps, fps: 1, seconds: max(4, seconds / 2), edgeMilliseconds: edgeMilliseconds)
        let baseline = median(unloaded.latencies)
        print(String(format: "unloaded one-frame latency (1 fps, W=1): median %.0f ms over %d frames", baseline, unloaded.latencies.count))
        print("mode                          frames  drops  util    p50 ms  p90 ms  p50/unloaded")
        let modes = [
            Mode(name: "credit W=1, freshest", window: 1, policy: "freshest"),
            Mode(name: "credit W=2, freshest", window: 2, policy: "freshest"),
            Mode(name: "stop-and-wait (queue, W=1)", window: 1, policy: "queue"),
            Mode(name: "unbounded push (queue)", window: 100_000, policy: "queue"),
        ]
        for mode in modes where !StopSignal.isRequested {
            let result = try measure(
                mode, model: model, source: source, kbps: kbps, fps: fps, seconds: seconds,
                edgeMilliseconds: edgeMilliseconds)
            let utilisation = linkUtilisation(result.arrivals, bytesPerSecond: kbps * 125)
            let p50 = median(result.latencies)
            let p90 = percentile(result.latencies, 0.9)
            print(
                mode.name.padding(toLength: 30, withPad: " ", startingAt: 0)
                    + String(
                        format: "%6d %6d  %5.1f%%  %6.0f  %6.0f  %5.2fx", result.latencies.count, Int(result.dropped),
                        utilisation * 100, p50, p90, p50 / baseline))
        }
    }

    /// Bytes after the first arrival over the time to the last one, as a share of the link rate.
    static func linkUtilisation(_ arrivals: [(at: Double, bytes: Int)], bytesPerSecond: Double) -> Double {
        guard arrivals.count >= 2, let first = arrivals.first, let last = arrivals.last, last.at > first.at else { return 0 }
        return Double(arrivals.dropFirst().reduce(0) { $0 + $1.bytes }) / ((last.at - first.at) * bytesPerSecond)
    }

    static func median(_ values: [Double]) -> Double { percentile(values, 0.5) }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
    }

    /// One mode: the stand-in edge binds, the real encoder and ingest start, and frames flow for `seconds`
    /// after a one-second warm-up; results before the warm-up ends are not counted.
    static func measure(
        _ mode: Mode, model: String, source: String, kbps: Double, fps: Double, seconds: Double,
        edgeMilliseconds: Double
    ) throws -> Measurement {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ladon-link-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let context = try Context()
        defer { context.close() }
        let router = try context.socket(.router)
        defer { router.close() }
        let edge = try router.bind("ipc://\(folder.path)/edge")
        let ingestEndpoint = "ipc://\(folder.path)/ingest"
        let binaries = OwnExecutable.folder

        let encoder = Process()
        encoder.executableURL = binaries.appendingPathComponent("ladon-encoder")
        encoder.arguments = [
            "run", "--model", model, "--ingest", ingestEndpoint, "--edge", edge, "--node-id", "bench",
            "--window", "\(mode.window)", "--policy", mode.policy, "--link-kbps", "\(kbps)", "--drain-timeout", "0",
        ]
        let ingest = Process()
        ingest.executableURL = binaries.appendingPathComponent("ladon-ingest")
        ingest.arguments = [
            "--source", source, "--loop", "--fps", "\(fps)", "--connect", ingestEndpoint, "--node-id", "bench",
            "--finish-timeout", "0",
        ]
        for process in [encoder, ingest] {
            process.standardOutput = FileHandle.nullDevice
            process.environment = ParentProcess.environmentForChild()
        }
        defer {
            for process in [ingest, encoder] where process.isRunning {
                kill(process.processIdentifier, SIGTERM)
                process.waitUntilExit()
            }
        }
        try encoder.run()

        var measurement = Measurement()
        var queue: [(LatentMessage, arrived: Double)] = []
        var busyUntil: Double?
        var started: Double?
        let poller = { () -> Poller in
            var poller = Poller()
            poller.add(router)
            return poller
        }()
        while !StopSignal.isRequested {
            let now = PipelineClock.seconds()
            if let started, now - started > 1 + seconds { break }
            // The stand-in worker: one latent at a time, `edgeMilliseconds` each; its result returns a credit.
            if let until = busyUntil, now >= until, !queue.isEmpty {
                let (latent, arrived) = queue.removeFirst()
                busyUntil = nil
                if let started, arrived >= started + 1 {
                    measurement.latencies.append(Double(PipelineClock.wallMicroseconds() - latent.header.captureTimeMicroseconds) / 1000)
                }
                try router.send([
                    Array("bench".utf8), MessageKind.control.tag,
                    ControlMessage.credit(.init(nodeID: "bench", grants: 1)).serialized(),
                ])
            }
            if busyUntil == nil, !queue.isEmpty { busyUntil = PipelineClock.seconds() + edgeMilliseconds / 1000 }
            let wait = busyUntil.map { max(0, $0 - PipelineClock.seconds()) } ?? 0.05
            guard try poller.poll(timeoutMilliseconds: Int((wait * 1000).rounded(.up)))[0].contains(.readable) else { continue }
            while let frames = try router.tryReceive() {
                guard frames.count == 3, let kind = MessageKind(tag: frames[1]) else { continue }
                switch kind {
                case .control:
                    if case let .hello(hello) = try ControlMessage(serialized: frames[2]), started == nil {
                        try router.send([
                            frames[0], MessageKind.control.tag,
                            ControlMessage.credit(.init(nodeID: hello.peerID, grants: hello.window)).serialized(),
                        ])
                        try ingest.run()
                        started = PipelineClock.seconds()
                    }
                case .latent:
                    let latent = try LatentMessage(serialized: frames[2])
                    let at = PipelineClock.seconds()
                    if let started, at >= started + 1 {
                        measurement.arrivals.append((at, frames[1].count + frames[2].count))
                        measurement.dropped += latent.header.droppedBefore
                    }
                    queue.append((latent, at))
                default: continue
                }
            }
        }
        return measurement
    }
}
