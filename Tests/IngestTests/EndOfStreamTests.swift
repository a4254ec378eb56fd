import Foundation
import LadonIngest
import Shared
import TestSupport
import Testing

/// Ingest's last frames and its end-of-stream Bye reach an encoder that is busy when ingest exits.
@Suite struct EndOfStreamTests {
    /// The bundled default model, not the tiny test model: its encode (tens of ms) is what keeps the
    /// encoder from reading while ingest pushes; the tiny model's encoder keeps up.
    let model = Fixtures.path("../../models/default-beta0.32.safetensors")
    let frames = Fixtures.path("../../samples/frames")

    @Test func everyFrameIngestSentAndItsByeReachAnEncoderThatIsBusyWhenIngestExits() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let broker = try FakeBroker(endpoint: "ipc://\(folder.path)/edge")
        defer { broker.close() }
        let ingestEndpoint = "ipc://\(folder.path)/ingest"
        let encoder = try ChildProcess(
            "ladon-encoder",
            [
                "run", "--model", model, "--ingest", ingestEndpoint, "--edge", broker.endpoint,
                "--node-id", "cam-q", "--window", "100", "--drain-timeout", "0",
            ])
        defer { encoder.stop() }
        _ = try #require(try broker.next(timeout: 20), "no Hello from the encoder")
        // Credit for every frame: the encoder encodes on each loop turn, so its frame queue fills while it
        // works, and ingest, pushing faster than that, exits with messages still on their way.
        try broker.grant("cam-q", 100)

        let ingest = try ChildProcess(
            "ladon-ingest",
            [
                "--source", frames, "--loop", "--count", "60", "--fps", "1000",
                "--connect", ingestEndpoint, "--node-id", "cam-q",
            ])
        defer { ingest.stop() }
        let ingestOutcome = ingest.wait()
        #expect(ingestOutcome.status == 0, "\(ingestOutcome.error)")
        let sent = try #require(number("sent", in: ingestOutcome.output), "\(ingestOutcome.output)")

        // The Bye ends the encoder's stream: with nothing to drain it exits by itself, having had every frame.
        let outcome = encoder.wait(timeout: 20)
        #expect(outcome.status == 0, "the encoder did not see the end of the stream\n\(outcome.error)")
        #expect(number("received", in: outcome.output) == sent, "ingest: \(ingestOutcome.output)encoder: \(outcome.output)")
    }
}
