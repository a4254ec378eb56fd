import Foundation
import LadonBench
import Shared
import TestSupport
import Testing

/// Faults on a real (emulated) network: the node, the edge and the sink in network namespaces joined by
/// veth pairs, the node's uplink shaped by the kernel's tbf to 100 kbit/s. After each fault the history
/// of every frame is checked (HistoryCheck: every captured frame is one published Result on every task
/// topic, one named drop or a counted write-off; nothing twice; order kept) and the node must resume by
/// itself within two heartbeat intervals of the fault ending. Needs the right to make namespaces.
@Suite(.serialized, .enabled(if: NetworkLab.isAvailable, "needs ip netns and tc (root or CAP_NET_ADMIN)"))
struct NetworkFaultTests {
    static let resumeLimit = 2 * FaultDrill.heartbeatSeconds

    func expectClean(_ drill: FaultDrill, published atLeast: Int) {
        let report = drill.check()
        #expect(report.passed, "\(report.summary)\n\(drill.logs)\n--- history\n\(drill.historyText.suffix(6000))")
        #expect(report.published >= atLeast, "\(report.summary)\n\(drill.logs)")
    }

    func expectResumed(_ drill: FaultDrill, after faultEnded: Int64, within limit: Double = resumeLimit) {
        let resumed = HistoryCheck.resumeSeconds(drill.events, node: FaultDrill.node, after: faultEnded)
        print("network fault test: resumed \(resumed.map { String(format: "%.2f s", $0) } ?? "never") after the fault ended")
        #expect(
            resumed.map { $0 <= limit } == true,
            "resumed after \(resumed.map { String(format: "%.2f s", $0) } ?? "never") from \(faultEnded)\n\(drill.logs)\n--- history\n\(drill.historyText.suffix(6000))"
        )
    }

    @Test func killingAWorkerMidFrameLosesNoFrame() throws {
        let drill = try FaultDrill(edgeArguments: ["--hold-ms", "400", "--heartbeat-timeout", "1"])
        defer { drill.tearDown() }
        try drill.startAll()
        #expect(drill.awaitPublished(4), "\(drill.logs)")
        let workers = ChildProcess.children(of: try #require(drill.edge).pid)
        try #require(workers.count == 2, "workers: \(workers)\n\(drill.logs)")
        // Mid-frame: a latent sent over 150 ms ago (it crossed the link) and not yet answered is held by a
        // worker for 400 ms; both workers die then, so the one holding it dies with it.
        #expect(drill.awaitLatentAtWorker(sentAtLeast: 0.15), "\(drill.logs)")
        for worker in workers { kill(worker, SIGKILL) }
        let faultEnded = FaultDrill.now()
        #expect(drill.awaitResumed(after: faultEnded), "\(drill.logs)")
        drill.stopAll()
        expectClean(drill, published: 7)
        expectResumed(drill, after: faultEnded, within: Self.resumeLimit + 1)
        let summary = try #require(drill.edge).standardOutput
        #expect((number("retries", in: summary, line: "ladon-edge serve:") ?? 0) >= 1, "\(summary)")
        #expect((number("respawned_workers", in: summary, line: "ladon-edge serve:") ?? 0) >= 2, "\(summary)")
    }

    @Test func workersStoppedForThirtySecondsAreKilledAndReplacedAndTheirLatentIsAnsweredOnce() throws {
        let drill = try FaultDrill(edgeArguments: ["--hold-ms", "300", "--heartbeat-timeout", "1"])
        defer { drill.tearDown() }
        try drill.startAll()
        #expect(drill.awaitPublished(3), "\(drill.logs)")
        let workers = ChildProcess.children(of: try #require(drill.edge).pid)
        try #require(workers.count == 2, "workers: \(workers)\n\(drill.logs)")
        // Both stopped while one holds a latent: the broker declares them dead for their silence, retries
        // the latent, and the supervisor kills the hung processes and starts new ones; the stopped pair
        // is sent SIGCONT 30 s later (dead by then), and nothing may be published twice.
        #expect(drill.awaitLatentAtWorker(sentAtLeast: 0.15), "\(drill.logs)")
        for worker in workers { kill(worker, SIGSTOP) }
        Thread.sleep(forTimeInterval: 30)
        for worker in workers { kill(worker, SIGCONT) }
        let faultEnded = FaultDrill.now()
        #expect(drill.awaitResumed(after: faultEnded), "\(drill.logs)")
        drill.stopAll()
        expectClean(drill, published: 20)
        expectResumed(drill, after: faultEnded)
        let summary = try #require(drill.edge).standardOutput
        #expect((number("dead_workers", in: summary, line: "ladon-edge serve:") ?? 0) >= 2, "\(summary)")
        #expect((number("retries", in: summary, line: "ladon-edge serve:") ?? 0) >= 1, "\(summary)")
        #expect((number("respawned_workers", in: summary, line: "ladon-edge serve:") ?? 0) >= 2, "\(summary)")
    }

    @Test func theBrokerKilledAndRestartedLosesNothingUncounted() throws {
        let drill = try FaultDrill()
        defer { drill.tearDown() }
        try drill.startAll()
        #expect(drill.awaitPublished(4), "\(drill.logs)")
        try #require(drill.edge).signal(SIGKILL)
        _ = drill.edge?.waitForExit(timeout: 5)
        Thread.sleep(forTimeInterval: 2)
        try drill.startEdge()
        let faultEnded = FaultDrill.now()
        #expect(drill.awaitResumed(after: faultEnded), "\(drill.logs)")
        drill.stopAll()
        expectClean(drill, published: 7)
        // The new broker loads the model and starts its workers before it serves.
        expectResumed(drill, after: faultEnded, within: Self.resumeLimit + 1.5)
    }

    /// Stopped (SIGTERM: it finishes what it holds) or killed (SIGKILL) and started again 3 s later.
    @Test(arguments: [SIGTERM, SIGKILL])
    func theSinkRestartedLosesNothingUncounted(signal: Int32) throws {
        let drill = try FaultDrill()
        defer { drill.tearDown() }
        try drill.startAll()
        #expect(drill.awaitPublished(4), "\(drill.logs)")
        let sink = try #require(drill.sink)
        sink.signal(signal)
        #expect(sink.waitForExit(timeout: 10))
        Thread.sleep(forTimeInterval: 3)
        try drill.startSink()
        let faultEnded = FaultDrill.now()
        #expect(drill.awaitResumed(after: faultEnded), "\(drill.logs)")
        drill.stopAll()
        expectClean(drill, published: 7)
        expectResumed(drill, after: faultEnded)
    }

    @Test func theNodesLinkDownForTwentySecondsResumesWithinTwoHeartbeats() throws {
        let drill = try FaultDrill()
        defer { drill.tearDown() }
        try drill.startAll()
        #expect(drill.awaitPublished(4), "\(drill.logs)")
        try drill.lab.setLink(of: "node", towards: "edge", up: false)
        Thread.sleep(forTimeInterval: 20)
        try drill.lab.setLink(of: "node", towards: "edge", up: true)
        let faultEnded = FaultDrill.now()
        #expect(drill.awaitResumed(after: faultEnded), "\(drill.logs)")
        drill.stopAll()
        expectClean(drill, published: 7)
        expectResumed(drill, after: faultEnded)
    }

    /// The sink, the edge and the node started in each of the six orders, a second apart.
    @Test(arguments: [
        ["sink", "edge", "node"], ["sink", "node", "edge"], ["edge", "sink", "node"],
        ["edge", "node", "sink"], ["node", "sink", "edge"], ["node", "edge", "sink"],
    ])
    func stagesStartedInAnyOrderServeTheNode(order: [String]) throws {
        let drill = try FaultDrill()
        defer { drill.tearDown() }
        for (index, stage) in order.enumerated() {
            if index > 0 { Thread.sleep(forTimeInterval: 1) }
            switch stage {
            case "sink": try drill.startSink()
            case "edge": try drill.startEdge()
            default: try drill.startNode()
            }
        }
        let allUp = FaultDrill.now()
        #expect(drill.awaitResumed(after: allUp), "\(drill.logs)")
        drill.stopAll()
        expectClean(drill, published: 3)
        expectResumed(drill, after: allUp, within: Self.resumeLimit + 1.5)
    }
}
