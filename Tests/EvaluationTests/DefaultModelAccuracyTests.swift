import Foundation
import Testing
import TestSupport

/// The shipped default model, run by our runtime on the held-out shapes-world set, scores at least what
/// the PyTorch reference scored with the same weights (models/*.pytorch-scores.json, from
/// `tools/train.py --evaluate`), less a small margin for rounding near decision boundaries.
@Suite struct DefaultModelAccuracyTests {
    static let margin = 0.01

    @Test(arguments: ["default-beta0.32"])
    func swiftRuntimeReachesThePyTorchScores(_ name: String) throws {
        let root = URL(fileURLWithPath: Fixtures.path("")).deletingLastPathComponent().deletingLastPathComponent()
        let model = root.appendingPathComponent("models/\(name).safetensors").path
        let reference = try JSONSerialization.jsonObject(
            with: Data(contentsOf: root.appendingPathComponent("models/\(name).pytorch-scores.json"))) as? [String: Any]
        let eval = root.appendingPathComponent("samples/eval").path
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("scores.json")
        let outcome = try Executables.run("ladon-eval", ["--model", model, "--annotations", "\(eval)/annotations.json",
                                                         "--images", "\(eval)/images", "--masks", "\(eval)/masks",
                                                         "--quiet", "--json", json.path])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        let ours: [String: Double?] = [
            "top1": (report["classification"] as? [String: Any])?["top1"] as? Double,
            "mAP": (report["detection"] as? [String: Any])?["map"] as? Double,
            "mAP50": (report["detection"] as? [String: Any])?["map50"] as? Double,
            "mIoU": (report["segmentation"] as? [String: Any])?["miou"] as? Double,
        ]
        for (metric, value) in ours {
            let expected = try #require(reference?[metric] as? Double, "reference lacks \(metric)")
            let score = try #require(value, "report lacks \(metric)")
            #expect(score >= expected - Self.margin, "\(metric): ours \(score), PyTorch \(expected)")
        }
    }
}
