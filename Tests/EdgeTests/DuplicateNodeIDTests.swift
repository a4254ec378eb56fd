import Foundation
import LadonEdge
import Shared
import TestSupport
import Testing

/// A node id belongs to one process at a time: `ladon-edge serve` refuses a second live process that
/// claims it, and lets a restarted process (the holder's connection closed) take it over at once.
@Suite(.serialized) struct DuplicateNodeIDTests {
    let latent: LatentMessage

    init() throws {
        let encoder = try MobileEncoder(LadonModelFile(path: EdgeHarness.model))
        latent = try encoder.encode(jpeg: try FileIO.read(Fixtures.path("model/tiny-input.jpg"))).message
    }

    /// Says hello every 0.3 s for `seconds` (or until credit comes), keeping `holder` alive with heartbeats.
    func helloWhileHeld(_ claimant: FakeNode, holder: FakeNode, seconds: Double) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline && claimant.credits == 0 {
            try holder.heartbeat()
            try claimant.hello()
            try claimant.pump(milliseconds: 300)
            try holder.pump(milliseconds: 0)
        }
    }

    @Test func aSecondLiveProcessClaimingANodeIDIsRefusedUntilTheHolderLeaves() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        try edge.start("ladon-sink", ["serve", "--results", edge.results, "--publish", edge.publish])
        let broker = try edge.broker(workers: 1)
        let holder = try FakeNode(edge.context, id: "cam-d", window: 2, frontend: edge.frontend, model: latent.model)
        #expect(try holder.join(), "no credit arrived\n\(edge.logs)")

        let claimant = try FakeNode(edge.context, id: "cam-d", window: 2, frontend: edge.frontend, model: latent.model)
        try helloWhileHeld(claimant, holder: holder, seconds: 3)
        #expect(claimant.credits == 0, "the duplicate was given credit\n\(edge.logs)")
        #expect(claimant.byes.contains { $0.contains("node id 'cam-d' is in use by another live process") }, "\(claimant.byes)")

        // The holder still works under its id.
        try holder.send(latent, sequence: 1)
        #expect(try holder.drain(), "the holder's latent was not answered\n\(edge.logs)")

        // Once the holder has left, the claimant's next hello takes the id.
        try holder.bye()
        #expect(try claimant.join(timeout: 10), "the id was not handed on after the holder's bye\n\(edge.logs)")
        try claimant.send(latent, sequence: 1)
        #expect(try claimant.drain(), "the new holder's latent was not answered\n\(edge.logs)")

        broker.stop()
        #expect(broker.standardOutput.contains("duplicate_node_ids=1 "), "\(broker.standardOutput)")
        #expect(broker.standardOutput.contains("nodes=cam-d:2/0"), "\(broker.standardOutput)")
    }

    @Test func aRestartedNodeProcessTakesItsIDOverWithoutWaitingForTheOldOneToFallSilent() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        try edge.start("ladon-sink", ["serve", "--results", edge.results, "--publish", edge.publish])
        let broker = try edge.broker(workers: 1)
        let crashed = try FakeNode(edge.context, id: "cam-r", window: 2, frontend: edge.frontend, model: latent.model)
        #expect(try crashed.join(), "no credit arrived\n\(edge.logs)")
        try crashed.heartbeat()
        crashed.close()
        Thread.sleep(forTimeInterval: 0.2)

        // Well inside the broker's silence limit (NodeEntry.staleAfterSeconds): only the closed connection tells.
        let started = Date()
        let restarted = try FakeNode(edge.context, id: "cam-r", window: 2, frontend: edge.frontend, model: latent.model)
        #expect(try restarted.join(timeout: 5), "the restarted process got no credit\n\(edge.logs)")
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(restarted.byes.isEmpty, "\(restarted.byes)")
        try restarted.send(latent, sequence: 1)
        #expect(try restarted.drain(), "\(edge.logs)")

        broker.stop()
        #expect(broker.standardOutput.contains("duplicate_node_ids=0 "), "\(broker.standardOutput)")
        #expect(broker.standardOutput.contains("node_restarts=1 "), "\(broker.standardOutput)")
    }
}
