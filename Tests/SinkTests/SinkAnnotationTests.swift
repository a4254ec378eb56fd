import Foundation
import LadonSink
import Shared
import TestSupport
import Testing

/// `ladon-sink serve --out --frames` as a real process behind `ladon-edge serve`, with latents that
/// name a good, a corrupt and a missing frame; then `ladon-sink annotate` on what it saved.
@Suite(.serialized) struct SinkAnnotationTests {
    @Test func theSinkAnnotatesFramesItFindsCountsTheOthersAndAnnotateRedrawsTheSameImages() throws {
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let frames = edge.folder.appendingPathComponent("frames")
        let out = edge.folder.appendingPathComponent("out")
        let redrawn = edge.folder.appendingPathComponent("redrawn")
        try FileManager.default.createDirectory(at: frames, withIntermediateDirectories: true)
        let jpeg = try FileIO.read(Fixtures.path("model/tiny-input.jpg"))
        try Data(jpeg).write(to: frames.appendingPathComponent("good.jpg"))
        try Data(jpeg.prefix(200)).write(to: frames.appendingPathComponent("cut.jpg"))

        let sink = try edge.start(
            "ladon-sink",
            [
                "serve", "--results", edge.results, "--publish", edge.publish,
                "--expect", "3", "--out", out.path, "--frames", frames.path,
            ])
        _ = try edge.broker()
        var latent = try MobileEncoder(LadonModelFile(path: EdgeHarness.model)).encode(jpeg: jpeg).message
        let node = try FakeNode(edge.context, id: "cam-s", window: 4, frontend: edge.frontend, model: latent.model)
        #expect(try node.join(), "no credit arrived\n\(edge.logs)")
        let sources = ["good.jpg", "cut.jpg", "gone.jpg"]
        let deadline = Date().addingTimeInterval(30)
        while node.sent < sources.count && Date() < deadline {
            while node.credits > 0 && node.sent < sources.count {
                latent.header.source = sources[node.sent]
                try node.send(latent, sequence: UInt64(node.sent + 1))
            }
            try node.pump(milliseconds: 100)
        }
        #expect(try node.drain(), "latents not answered\n\(edge.logs)")
        #expect(sink.waitForExit(timeout: 30), "sink did not get 3 results\n\(edge.logs)")
        #expect(sink.process.terminationStatus == 0, "\(edge.logs)")
        #expect(sink.standardOutput.contains("sink annotations: written=1 failed=2"), "\(sink.standardOutput)")
        #expect(sink.standardError.components(separatedBy: "cannot annotate frame").count == 3, "\(sink.standardError)")

        // The good frame's annotated image has the frame's size; the others have none.
        let annotated = try PNG.decode(try FileIO.read(out.appendingPathComponent("cam-s-1-annotated.png").path))
        let original = try JPEG.decode(jpeg)
        #expect(annotated.size == original.size && annotated.channels == 3)
        #expect(annotated != original, "something is drawn on the frame")
        for sequence in [2, 3] {
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("cam-s-\(sequence)-annotated.png").path))
        }
        let document = try JSONSerialization.jsonObject(with: Data(try FileIO.read(out.appendingPathComponent("cam-s-1.json").path)))
        #expect(((document as? [String: Any])?["frame"] as? [String: Any])?["source"] as? String == "good.jpg")

        // After the fact, from the saved files: the same image, the same two failures (status 1).
        let again = try Executables.run(
            "ladon-sink",
            [
                "annotate", "--results", out.path, "--frames", frames.path,
                "--out", redrawn.path,
            ])
        #expect(again.status == 1, "\(again.standardError)")
        #expect(again.standardOutput.contains("written=1 failed=2"), "\(again.standardOutput)")
        #expect(
            try FileIO.read(redrawn.appendingPathComponent("cam-s-1-annotated.png").path)
                == (try FileIO.read(out.appendingPathComponent("cam-s-1-annotated.png").path)))
    }

    @Test func framesWithoutAnOutputFolderIsAUsageError() throws {
        let outcome = try Executables.run(
            "ladon-sink",
            [
                "serve", "--results", "ipc://unused", "--publish", "ipc://unused2",
                "--frames", ".",
            ])
        #expect(outcome.status == 64)
        #expect(outcome.standardError.contains("--out"), "\(outcome.standardError)")
    }
}
