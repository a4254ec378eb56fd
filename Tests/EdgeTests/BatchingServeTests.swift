import Foundation
import LadonEdge
import Shared
import TestSupport
import Testing

/// `ladon-edge serve --max-batch N`: the real broker and worker processes batching frames of several
/// nodes, with the nodes played by the test (FakeNode).
@Suite(.serialized) struct BatchingServeTests {
    let latent: LatentMessage

    init() throws {
        let encoder = try MobileEncoder(LadonModelFile(path: EdgeHarness.model))
        latent = try encoder.encode(jpeg: try FileIO.read(Fixtures.path("model/tiny-input.jpg"))).message
    }

    @Test func aBatchingWorkerAnswersEveryFrameOfFourNodesOnceInFewerBatchesThanFrames() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let total = 24
        let sink = try edge.sink(expect: total)
        let broker = try edge.broker(workers: 1, extra: ["--max-batch", "4", "--batch-wait-ms", "20", "--hold-ms", "100"])
        let nodes = try (1...4).map { try FakeNode(edge.context, id: "cam-\($0)", window: 1, frontend: edge.frontend, model: latent.model) }
        for node in nodes { #expect(try node.join(), "no credit for \(node.id)\n\(edge.logs)") }
        try FakeNode.drive(nodes, sending: latent, total: total, edge: edge)
        #expect(sink.waitForExit(timeout: 30), "sink did not get \(total) results\n\(edge.logs)")
        #expect(field("errors", in: sink.standardOutput, line: "sink final:") == "0", "\(edge.logs)")
        #expect(nodes.allSatisfy { $0.mostHeld <= $0.window })
        broker.stop()
        #expect(field("results", in: broker.standardOutput, line: "ladon-edge serve:") == "\(total)", "\(broker.standardOutput)")
        let batches = try #require(number("batches", in: broker.standardError), "\(edge.logs)")
        #expect(batches < total, "\(batches) batches for \(total) frames: the worker never batched")
    }

    @Test func killingAWorkerHoldingABatchLosesNoCreditedLatent() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let total = 16
        let sink = try edge.sink(expect: total)
        let broker = try edge.broker(
            workers: 2, extra: ["--max-batch", "3", "--batch-wait-ms", "50", "--hold-ms", "400", "--heartbeat-timeout", "1"])
        let nodes = try (1...4).map { try FakeNode(edge.context, id: "cam-\($0)", window: 2, frontend: edge.frontend, model: latent.model) }
        for node in nodes { #expect(try node.join(), "no credit for \(node.id)\n\(edge.logs)") }
        var killed = false
        try FakeNode.drive(nodes, sending: latent, total: total, edge: edge) { returned in
            guard !killed, returned >= 2 else { return }
            // The worker that just answered is given its next frames within milliseconds and then holds
            // them for 400 ms. A worker that joined late may hold nothing yet, so the victim is one seen
            // holding a batch (its compute thread asleep in the hold), else the busier one (more CPU time).
            let workers = ChildProcess.children(of: broker.pid)
            #expect(workers.count == 2, "workers: \(workers)")
            var victim: pid_t?
            let deadline = Date().addingTimeInterval(1)
            while victim == nil, Date() < deadline {
                victim = workers.first(where: isHoldingABatch)
                if victim == nil { Thread.sleep(forTimeInterval: 0.01) }
            }
            if let victim = victim ?? workers.max(by: { cpuTicks($0) < cpuTicks($1) }) { kill(victim, SIGKILL) }
            killed = true
        }
        #expect(killed)
        #expect(sink.waitForExit(timeout: 30), "sink did not get \(total) results\n\(edge.logs)")
        #expect(field("frames", in: sink.standardOutput, line: "sink final:") == "\(total)", "\(edge.logs)")
        broker.stop()
        #expect(field("results", in: broker.standardOutput, line: "ladon-edge serve:") == "\(total)", "\(broker.standardOutput)")
        #expect(field("dead_workers", in: broker.standardOutput, line: "ladon-edge serve:") == "1", "\(edge.logs)")
        #expect(Int(field("retries", in: broker.standardOutput, line: "ladon-edge serve:") ?? "") ?? 0 >= 1, "\(edge.logs)")
    }
}

/// Whether a thread of the process is in nanosleep (/proc/PID/task/TID/syscall: 35 nanosleep, 230 clock_nanosleep).
/// A worker sleeps only to hold an answered batch for `--hold-ms`; it waits for messages in poll.
private func isHoldingABatch(_ pid: pid_t) -> Bool {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    return tasks.contains { task in
        let call = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/syscall", encoding: .utf8)) ?? ""
        return ["35", "230"].contains(call.split(separator: " ").first.map(String.init) ?? "")
    }
}

/// User plus system clock ticks of a process so far (/proc/PID/stat fields 14 and 15), 0 if it is gone.
private func cpuTicks(_ pid: pid_t) -> Int {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let end = stat.lastIndex(of: ")")
    else { return 0 }
    // Fields after the command name (which may hold spaces), starting at field 3.
    let fields = stat[stat.index(after: end)...].split(separator: " ")
    guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return 0 }
    return user + system
}
