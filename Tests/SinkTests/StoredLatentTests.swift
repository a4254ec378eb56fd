import CSQLite
import Foundation
import LadonSink
import Shared
import TestSupport
import Testing

/// Stored latents: the edge keeps each frame's Latent with its Result only when asked
/// (`--keep-latents`), the sink stores it beside the Result and publishes the Result without it, and
/// `ladon-sink replay --rerun MODEL` runs stored latents through an edge model again. Real processes,
/// real SQLite.
@Suite(.serialized) struct StoredLatentTests {
    static let latent: LatentMessage = {
        // The tiny model's encoder on its fixture frame; a failure here fails every test below.
        (try? MobileEncoder(LadonModelFile(path: EdgeHarness.model)).encode(jpeg: FileIO.read(Fixtures.path("model/tiny-input.jpg"))).message)!
    }()

    /// The sink's store after `count` latents from node `cam-k` went through the edge with `edgeOptions`.
    static func runPipeline(_ edge: EdgeHarness, count: Int, edgeOptions: [String]) throws -> String {
        let store = edge.folder.appendingPathComponent("results.sqlite").path
        let sink = try edge.start(
            "ladon-sink", ["serve", "--results", edge.results, "--publish", edge.publish, "--store", store, "--expect", "\(count)"])
        _ = try edge.broker(workers: 1, extra: edgeOptions)
        let node = try FakeNode(edge.context, id: "cam-k", window: 2, frontend: edge.frontend, model: latent.model)
        #expect(try node.join(), "no credit arrived\n\(edge.logs)")
        for sequence in 1...count {
            while node.credits == 0 { try node.pump(milliseconds: 10) }
            try node.send(latent, sequence: UInt64(sequence))
        }
        #expect(sink.waitForExit(timeout: 60), "\(edge.logs)")
        return store
    }

    @Test func keptLatentsAreStoredBesideTheirResultsWhichArePublishedWithoutThem() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let rows = try ResultStore(path: try Self.runPipeline(edge, count: 3, edgeOptions: ["--keep-latents"]), readOnly: true).rows()
        #expect(rows.map(\.sequence) == [1, 2, 3])
        for row in rows {
            let published = try ResultMessage(serialized: row.result)
            #expect(published.latent == nil, "subscribers get the Result without the latent")
            #expect(published.error == nil && published.tasks.segmentation != nil)
            let kept = try LatentMessage(serialized: try #require(row.latent))
            #expect(kept.header.sequence == row.sequence && kept.coded == Self.latent.coded && kept.model == Self.latent.model)
        }
    }

    @Test func withoutTheFlagNoLatentIsKept() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let rows = try ResultStore(path: try Self.runPipeline(edge, count: 2, edgeOptions: []), readOnly: true).rows()
        #expect(rows.count == 2 && rows.allSatisfy { $0.latent == nil })
    }

    @Test func replayRerunsStoredLatentsThroughTheModelAndGivesTheStoredAnswersAgain() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let store = try Self.runPipeline(edge, count: 3, edgeOptions: ["--keep-latents"])
        let again = edge.folder.appendingPathComponent("rerun.sqlite").path
        let replay = try ChildProcess(
            "ladon-sink",
            [
                "replay", "--store", store, "--rerun", EdgeHarness.model, "--rerun-store", again, "--publish", "ipc://\(edge.folder.path)/replay",
                "--wait", "0",
            ],
            logs: edge.folder)
        let outcome = replay.wait(timeout: 60)
        #expect(outcome.status == 0, "\(outcome.error)")
        #expect(
            outcome.output.contains("ladon-sink replay: published=3 unreadable=0 rerun=3 no_latent=0 other_model=0 failed=0"), "\(outcome.output)")
        let stored = try ResultStore(path: store, readOnly: true).rows()
        let rerun = try ResultStore(path: again, readOnly: true).rows()
        #expect(rerun.map(\.sequence) == stored.map(\.sequence))
        for (before, after) in zip(stored, rerun) {
            let (a, b) = (try ResultMessage(serialized: before.result), try ResultMessage(serialized: after.result))
            #expect(a.tasks == b.tasks, "the same latent through the same model answers the same")
            #expect(a.header == b.header && b.timings.map(\.stage).contains("trunk"))
            #expect(after.latent == before.latent, "the re-run store keeps the latent too")
        }
    }

    @Test func replayRefusesLatentsOfAnotherEncoderAndCountsRowsWithoutOne() throws {
        let folder = try Executables.temporaryFolder()
        let path = folder.appendingPathComponent("mixed.sqlite").path
        let store = try ResultStore(path: path)
        var foreign = Self.latent
        foreign.model.weightsHash ^= 1
        let rows: [(UInt64, LatentMessage?)] = [(1, nil), (2, foreign), (3, Self.latent)]
        for (sequence, latent) in rows {
            var result = ResultMessage(failed: Self.latent, error: "placeholder")
            result.header.sequence = sequence
            result.header.captureTimeMicroseconds = Int64(sequence)
            try store.store(result, payload: result.serialized(), latent: latent?.serialized(), receivedMicroseconds: 0)
        }
        store.close()
        let outcome = try ChildProcess(
            "ladon-sink", ["replay", "--store", path, "--rerun", EdgeHarness.model, "--publish", "ipc://\(folder.path)/replay", "--wait", "0"],
            logs: folder
        ).wait(timeout: 60)
        #expect(outcome.output.contains("published=1 unreadable=0 rerun=1 no_latent=1 other_model=1 failed=0"), "\(outcome.output)\(outcome.error)")
        #expect(outcome.error.contains("stored latents of another encoder are not run"))
    }

    @Test func aStoreFromBeforeLatentsWereKeptGainsTheColumnAndReadsBack() throws {
        let path = try Executables.temporaryFolder().appendingPathComponent("old.sqlite").path
        var database: OpaquePointer?
        #expect(sqlite3_open(path, &database) == SQLITE_OK)
        let old = """
            CREATE TABLE results (id INTEGER PRIMARY KEY, node TEXT NOT NULL, sequence INTEGER NOT NULL, capture_us INTEGER NOT NULL,
              received_us INTEGER NOT NULL, source TEXT NOT NULL, dropped_before INTEGER NOT NULL, latent_bytes INTEGER NOT NULL,
              error TEXT, document TEXT NOT NULL, result BLOB NOT NULL);
            INSERT INTO results VALUES (1, 'cam-o', 7, 1, 2, '', 0, 0, NULL, '{}', x'00');
            """
        #expect(sqlite3_exec(database, old, nil, nil, nil) == SQLITE_OK)
        sqlite3_close(database)
        #expect(try ResultStore(path: path, readOnly: true).rows().map(\.latent) == [nil], "read-only: no column, no latent")
        let store = try ResultStore(path: path)
        try store.store(Self.latent.failedResult, payload: [1], latent: [9, 9], receivedMicroseconds: 3)
        #expect(try store.rows().sorted { $0.sequence > $1.sequence }.map(\.latent) == [nil, [9, 9]], "sequence 7 first, then the new row")
        #expect(try store.integrity() == "ok")
    }
}

extension LatentMessage {
    fileprivate var failedResult: ResultMessage { ResultMessage(failed: self, error: "test") }
}
