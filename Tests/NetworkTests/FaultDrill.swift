import Foundation
import LadonBench
import Shared
import TestSupport

/// One node, the edge and the sink in network namespaces of their own (NetworkLab): the node's uplink a
/// veth pair shaped by tbf, the edge-to-sink hop another pair, tcp:// across both (plaintext: the lab
/// is the whole network). Every stage appends to one history file; `check()` runs HistoryCheck on it.
/// The tiny model keeps the compute out of the way: what is tested is the network and the processes.
final class FaultDrill {
    static let node = "cam-n"
    static let heartbeatSeconds = 1.0

    let lab: NetworkLab
    let folder: URL
    var history: String { folder.appendingPathComponent("history").path }
    private(set) var processes: [ChildProcess] = []
    var sink: ChildProcess?
    var edge: ChildProcess?
    var encoder: ChildProcess?
    var ingest: ChildProcess?
    let edgeArguments: [String]
    let framesPerSecond: Double

    init(linkKilobitsPerSecond: Double = 100, edgeArguments: [String] = [], framesPerSecond: Double = 4) throws {
        lab = try NetworkLab(links: [
            .init(from: "node", to: "edge", kilobitsPerSecond: linkKilobitsPerSecond), .init(from: "edge", to: "sink"),
        ])
        folder = try Executables.temporaryFolder()
        self.edgeArguments = edgeArguments
        self.framesPerSecond = framesPerSecond
    }

    deinit { tearDown() }

    var frontend: String { "tcp://\((try? lab.address(of: "edge", towards: "node")) ?? "?"):5555" }
    var results: String { "tcp://\((try? lab.address(of: "sink", towards: "edge")) ?? "?"):5557" }
    var publish: String { "ipc://\(folder.path)/publish" }
    var ingestEndpoint: String { "ipc://\(folder.path)/ingest" }

    private func start(_ host: String, _ name: String, _ arguments: [String]) throws -> ChildProcess {
        let process = try ChildProcess(name, arguments, logs: folder, launcher: lab.launcher(host))
        processes.append(process)
        return process
    }

    func startSink() throws {
        sink = try start(
            "sink", "ladon-sink", ["serve", "--results", results, "--publish", publish, "--insecure", "--history", history])
    }

    func startEdge() throws {
        edge = try start(
            "edge", "ladon-edge",
            ["serve", "--model", EdgeHarness.model, "--frontend", frontend, "--sink", results, "--workers", "2", "--insecure"]
                + edgeArguments)
    }

    /// The encoder (one latent in flight, so the history can check publishing order) and ingest.
    func startNode() throws {
        encoder = try start(
            "node", "ladon-encoder",
            [
                "run", "--model", EdgeHarness.model, "--ingest", ingestEndpoint, "--edge", frontend, "--node-id", Self.node,
                "--window", "1", "--insecure", "--drain-timeout", "20", "--history", history,
            ])
        ingest = try start(
            "node", "ladon-ingest",
            [
                "--source", Fixtures.path("model/tiny-input.jpg"), "--loop", "--fps", "\(framesPerSecond)", "--connect", ingestEndpoint,
                "--node-id", Self.node, "--history", history,
            ])
    }

    func startAll() throws {
        try startSink()
        try startEdge()
        try startNode()
    }

    /// Ends the run the way an operator would: ingest first (its end of stream lets the encoder drain what
    /// is in flight), then the edge once the encoder is gone, then the sink.
    func stopAll() {
        ingest?.stop(grace: 10)
        _ = encoder?.waitForExit(timeout: 30)
        encoder?.stop()
        Thread.sleep(forTimeInterval: 0.5)
        edge?.stop(grace: 10)
        sink?.stop(grace: 10)
    }

    func tearDown() {
        for process in processes.reversed() { process.stop(grace: 2) }
        processes.removeAll()
        lab.remove()
        try? FileManager.default.removeItem(at: folder)
    }

    var historyText: String { (try? String(contentsOfFile: history, encoding: .utf8)) ?? "" }

    func check() -> HistoryCheck.Report { HistoryCheck(publishedInOrder: true).check(historyText) }

    var events: [HistoryEvent] { HistoryCheck.events(in: historyText).events }

    /// Results of the node published so far.
    var published: Int { events.filter { $0.event == "published" && $0.node == Self.node }.count }

    /// Waits until `count` more Results of the node are published than now, or `timeout`.
    @discardableResult
    func awaitPublished(_ count: Int, timeout: Double = 30) -> Bool {
        let goal = published + count
        let deadline = Date().addingTimeInterval(timeout)
        while published < goal && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        return published >= goal
    }

    /// Waits until `count` frames the encoder sent after `time` (µs) are published, or `timeout`: the node
    /// has resumed (Results queued during a fault and delivered after it do not count).
    @discardableResult
    func awaitResumed(after time: Int64, count: Int = 3, timeout: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let events = self.events
            let sent = Set(events.filter { $0.stage == "encoder" && $0.event == "sent" && $0.microseconds >= time }.map(\.sequence))
            if events.filter({ $0.event == "published" && sent.contains($0.sequence) }).count >= count { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    /// Waits until the node's latest latent was sent at least `seconds` ago and is not answered yet.
    func awaitLatentAtWorker(sentAtLeast seconds: Double, timeout: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let events = self.events
            if let sent = events.last(where: { $0.stage == "encoder" && $0.event == "sent" }),
                !events.contains(where: { $0.event == "published" && $0.sequence == sent.sequence }),
                Double(Self.now() - sent.microseconds) / 1_000_000 >= seconds
            {
                return true
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    static func now() -> Int64 { PipelineClock.wallMicroseconds() }

    /// Everything the processes wrote, for failure messages.
    var logs: String {
        processes.map { "--- \($0.name)\n\($0.standardOutput.suffix(3000))\($0.standardError.suffix(3000))" }.joined(separator: "\n")
    }
}
