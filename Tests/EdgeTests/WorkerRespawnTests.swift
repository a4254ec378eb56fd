import Foundation
import LadonEdge
import Shared
import Synchronization
import TestSupport
import Testing

/// `ladon-edge serve --workers N` starting dead local workers again, with the test as the mobile node
/// (FakeNode) and every other stage a real process.
@Suite(.serialized) struct WorkerRespawnTests {
    let latent: LatentMessage

    init() throws {
        let encoder = try MobileEncoder(LadonModelFile(path: EdgeHarness.model))
        latent = try encoder.encode(jpeg: try FileIO.read(Fixtures.path("model/tiny-input.jpg"))).message
    }

    /// Times the broker logged `text`.
    func count(_ text: String, in broker: ChildProcess) -> Int {
        broker.standardError.components(separatedBy: text).count - 1
    }

    @Test func aKilledLocalWorkerIsStartedAgainLoggedAndCounted() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let sink = try edge.sink(expect: 8)
        let broker = try edge.broker(extra: ["--heartbeat-timeout", "30"])
        let node = try FakeNode(edge.context, id: "cam-w", window: 2, frontend: edge.frontend, model: latent.model)
        #expect(try node.join(), "no credit arrived\n\(edge.logs)")
        // Both workers have said hello: the broker knows the one the test kills.
        #expect(waitUntil(30) { count("worker joined", in: broker) == 2 }, "\(edge.logs)")
        let victim = try #require(ChildProcess.children(of: broker.pid).first)
        kill(victim, SIGKILL)
        #expect(
            waitUntil(30) {
                let now = ChildProcess.children(of: broker.pid)
                return now.count == 2 && !now.contains(victim)
            }, "no worker was started in place of \(victim)\n\(edge.logs)")
        #expect(broker.standardError.contains("worker exited; starting it again"), "\(broker.standardError)")
        // The broker retires the dead worker at once, told by the supervisor that its process exited.
        #expect(waitUntil(10) { count("worker gone", in: broker) == 1 }, "\(broker.standardError)")
        #expect(broker.standardError.contains("reason=process exited"), "\(broker.standardError)")

        var sequence: UInt64 = 0
        let deadline = Date().addingTimeInterval(60)
        while node.sent < 8 && Date() < deadline {
            while node.credits > 0 && node.sent < 8 {
                sequence += 1
                try node.send(latent, sequence: sequence)
            }
            try node.pump(milliseconds: 100)
        }
        #expect(try node.drain(), "credits not returned\n\(edge.logs)")
        #expect(sink.waitForExit(timeout: 30), "sink did not get 8 results\n\(edge.logs)")
        #expect(number("errors", in: sink.standardOutput, line: "sink final:") == 0, "\(edge.logs)")
        broker.stop()
        let line = "ladon-edge serve:"
        #expect(number("respawned_workers", in: broker.standardOutput, line: line) == 1, "\(broker.standardOutput)")
        #expect(number("dead_workers", in: broker.standardOutput, line: line) == 1, "\(broker.standardOutput)")
    }

    @Test func aLatentWhoseWorkerDiesTwiceIsAnsweredWithAnErrorAndItsCreditReturned() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let sink = try edge.sink(expect: 1)
        // One worker holding each frame 8 s: the test kills it while it holds the latent, twice.
        let broker = try edge.broker(workers: 1, extra: ["--heartbeat-timeout", "1", "--hold-ms", "8000"])
        #expect(waitUntil(30) { count("worker joined", in: broker) == 1 }, "\(edge.logs)")
        let node = try FakeNode(edge.context, id: "cam-e", window: 1, frontend: edge.frontend, model: latent.model)
        #expect(try node.join(), "no credit arrived\n\(edge.logs)")
        try node.send(latent, sequence: 1)

        for attempt in 1...2 {
            // The ready worker takes the latent within a loop turn of its arrival or of its own Ready.
            Thread.sleep(forTimeInterval: 1)
            let workers = ChildProcess.children(of: broker.pid)
            #expect(workers.count == 1, "attempt \(attempt): workers \(workers)")
            for pid in workers { kill(pid, SIGKILL) }
            if attempt == 1 {
                #expect(
                    waitUntil(30) {
                        count("retrying a latent on another worker", in: broker) == 1 && count("worker joined", in: broker) == 2
                    },
                    "no retry on a new worker\n\(edge.logs)")
            }
        }
        #expect(try node.drain(timeout: 30), "the latent's credit did not come back\n\(edge.logs)")
        #expect(sink.waitForExit(timeout: 30), "no Result on the sink\n\(edge.logs)")
        #expect(number("errors", in: sink.standardOutput, line: "sink final: node=cam-e") == 1, "\(sink.standardOutput)")
        broker.stop()
        let line = "ladon-edge serve:"
        for (key, value) in [("retries", 1), ("dead_workers", 2), ("errors", 1)] {
            #expect(number(key, in: broker.standardOutput, line: line) == value, "\(key): \(broker.standardOutput)")
        }
        #expect((number("respawned_workers", in: broker.standardOutput, line: line) ?? 0) >= 1, "\(broker.standardOutput)")
    }

    @Test func aWorkerThatDiesAtOnceIsStartedAgainEverMoreSlowly() {
        // A clock of our own: supervision turns 50 ms apart over 3 s, each after the worker (/bin/false) has
        // really exited, so the count depends on the backoff alone, not on how busy the machine is.
        let now = Mutex(0.0)
        let workers = LocalWorkers(
            backoff: RestartBackoff(initial: 0.2, maximum: 30, stableAfter: 30), clock: { now.withLock { $0 } }, shouldStop: { false })
        defer { workers.stop() }
        #expect(throws: Never.self) { try workers.start(count: 1, executable: "/bin/false", arguments: []) }
        for turn in 0...60 {
            now.withLock { $0 = Double(turn) * 0.05 }
            #expect(waitUntil(5) { workers.running.isEmpty }, "/bin/false did not exit")
            workers.supervise()
        }
        // Delays 0.2, 0.4, 0.8, 1.6 s: starts at 0.2, 0.65 and 1.5 s; the next is due at 3.15 s.
        #expect(workers.respawned == 3, "respawned \(workers.respawned) times in 3 s")
    }

    @Test func theRestartDelayDoublesUpToItsMaximumAndStartsOverAfterALongLife() {
        var backoff = RestartBackoff(initial: 0.5, maximum: 3, stableAfter: 30)
        let delays = (0..<5).map { _ in backoff.delay(afterRunning: 1) }
        #expect(delays == [0.5, 1, 2, 3, 3])
        #expect(backoff.delay(afterRunning: 60) == 0.5)
        #expect(backoff.delay(afterRunning: 1) == 1)
    }
}
