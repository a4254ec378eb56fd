import Foundation
import Shared
import TestSupport
import Testing

/// `ladon-encoder encode` and `ladon-edge infer` as users run them: real processes, real files.
@Suite struct CommandLineTests {
    let model = Fixtures.path("model/tiny.safetensors")
    let image = Fixtures.path("model/tiny-input.jpg")

    @Test func encodeThenInferWritesJSONAndMaskAtTheOriginalSize() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let latent = folder.appendingPathComponent("frame.latent").path
        let json = folder.appendingPathComponent("out.json").path
        let mask = folder.appendingPathComponent("mask.png").path

        let encode = try Executables.run("ladon-encoder", ["encode", "--model", model, "--image", image, "--out", latent])
        #expect(encode.status == 0, "\(encode.standardError)")
        let infer = try Executables.run(
            "ladon-edge",
            [
                "infer", "--model", model, "--latent", latent,
                "--json", json, "--mask", mask,
            ])
        #expect(infer.status == 0, "\(infer.standardError)")

        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let frame = try #require(document["frame"] as? [String: Any])
        let jpeg = try JPEG.decode(try FileIO.read(image))
        #expect(frame["width"] as? Int == jpeg.size.width && frame["height"] as? Int == jpeg.size.height)
        let classification = try #require(document["classification"] as? [String: Any])
        #expect((classification["top5"] as? [Any])?.count == 5)
        #expect(document["detection"] is [Any])
        let labels = try PNG.decode(try FileIO.read(mask))
        #expect(labels.size == jpeg.size && labels.channels == 1)
    }

    /// The routing picks one library per CPU, so elsewhere in the tests the other may never run here: both,
    /// forced in turn, give the same classes and label map and logits within float rounding. (Where oneDNN does
    /// not run, both runs are OpenBLAS's.)
    @Test func eitherGEMMLibraryGivesTheSameAnswers() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let latent = folder.appendingPathComponent("frame.latent").path
        let encode = try Executables.run("ladon-encoder", ["encode", "--model", model, "--image", image, "--out", latent])
        #expect(encode.status == 0, "\(encode.standardError)")
        var answers: [(logits: [Double], top: [String], labels: [UInt8])] = []
        for library in ["openblas", "onednn"] {
            let json = folder.appendingPathComponent("\(library).json").path
            let mask = folder.appendingPathComponent("\(library).png").path
            let infer = try Executables.run(
                "ladon-edge", ["infer", "--model", model, "--latent", latent, "--json", json, "--mask", mask],
                environment: ["LADON_GEMM": library])
            #expect(infer.status == 0, "\(infer.standardError)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(FileIO.read(json))) as? [String: Any])
            let classification = try #require(document["classification"] as? [String: Any])
            let logits = try #require(classification["logits"] as? [Double])
            let top = try #require(classification["top5"] as? [[String: Any]]).compactMap { $0["name"] as? String }
            answers.append((logits, top, try PNG.decode(try FileIO.read(mask)).pixels))
        }
        let (openBLAS, oneDNN) = (answers[0], answers[1])
        #expect(openBLAS.top == oneDNN.top)
        #expect(openBLAS.logits.count == oneDNN.logits.count && !openBLAS.logits.isEmpty)
        for (a, b) in zip(openBLAS.logits, oneDNN.logits) { #expect(abs(a - b) <= 1e-4 * max(1, abs(a)), "\(a) vs \(b)") }
        let same = zip(openBLAS.labels, oneDNN.labels).filter { $0 == $1 }.count
        #expect(openBLAS.labels.count == oneDNN.labels.count && same * 1000 >= openBLAS.labels.count * 999)
    }

    @Test func corruptJPEGFailsWithOneLineNamingTheImage() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let broken = folder.appendingPathComponent("broken.jpg")
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array(repeating: 0x41, count: 64)).write(to: broken)
        let outcome = try Executables.run(
            "ladon-encoder",
            [
                "encode", "--model", model, "--image", broken.path,
                "--out", folder.appendingPathComponent("x").path,
            ])
        #expect(outcome.status == 1)
        #expect(
            outcome.standardError.split(separator: "\n").count == 1 && outcome.standardError.contains("image"),
            "\(outcome.standardError)")
    }

    @Test func garbledLatentFileFailsWithOneLine() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let garbage = folder.appendingPathComponent("garbage.latent")
        try Data((0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37) }).write(to: garbage)
        let outcome = try Executables.run("ladon-edge", ["infer", "--model", model, "--latent", garbage.path, "--json", "-"])
        #expect(outcome.status == 1)
    }

    @Test func missingModelFileIsNamed() throws {
        let outcome = try Executables.run(
            "ladon-edge",
            [
                "infer", "--model", "no-such-model.safetensors",
                "--latent", "x", "--json", "-",
            ])
        #expect(outcome.status == 1)
        #expect(outcome.standardError.contains("no-such-model.safetensors"))
    }

    @Test func misspelledOptionIsAUsageErrorSuggestingTheRightOne() throws {
        let outcome = try Executables.run("ladon-encoder", ["encode", "--modle", model])
        #expect(outcome.status == 64)
        #expect(outcome.standardError.contains("--model"))
    }

    /// Node ids prefix the result topics (`<node>/<task>`) and routing ids hold 255 bytes.
    @Test(
        arguments: [
            ["ladon-encoder", "run", "--ingest", "ipc:///nowhere/a", "--edge", "ipc:///nowhere/b"],
            ["ladon-ingest", "--source", "-", "--connect", "ipc:///nowhere/a"],
        ],
        ["cam/01", "", "cam 01", String(repeating: "c", count: 201)])
    func anUnusableNodeIDIsAUsageErrorNamingIt(command: [String], id: String) throws {
        let arguments = Array(command.dropFirst()) + (command[0] == "ladon-encoder" ? ["--model", model] : []) + ["--node-id", id]
        let outcome = try Executables.run(command[0], arguments)
        #expect(outcome.status == 64, "\(outcome.standardError)")
        #expect(outcome.standardError.contains("--node-id") && outcome.standardError.contains("without '/'"), "\(outcome.standardError)")
    }

    @Test func peerRoutesKeepTheIDReadableAndApartPerProcess() {
        let first = String(decoding: PeerRoute.routingID(for: "cam-01", token: 0xABC), as: UTF8.self)
        let second = String(decoding: PeerRoute.routingID(for: "cam-01", token: 0xABD), as: UTF8.self)
        #expect(first == "cam-01#abc" && first != second)
        #expect(PeerRoute.peerID(of: first) == "cam-01")
        #expect(PeerRoute.peerID(of: "cam#7#abc") == "cam#7")
        #expect(PeerRoute.peerID(of: "plain") == "plain")
        #expect(PeerRoute.routingID(for: String(repeating: "x", count: PeerRoute.maximumPeerIDBytes), token: .max).count <= 255)
    }
}
