import Foundation
import TestSupport
import Testing

/// The shipped default models, run by our runtime on the held-out shapes-world set, score at least what
/// the PyTorch reference scored with the same weights (models/*.pytorch-scores.json, from
/// `tools/train.py --evaluate`), less a small margin for rounding near decision boundaries.
@Suite struct DefaultModelAccuracyTests {
    static let margin = 0.01
    static let models = ["default-beta0.32", "default-beta5.12", "default-beta10.24"]
    static let root = URL(fileURLWithPath: Fixtures.path("")).deletingLastPathComponent().deletingLastPathComponent()

    /// `ladon-eval --json` on the held-out set with `models/<name>.safetensors`.
    static func evaluate(_ name: String) throws -> [String: Any] {
        let model = root.appendingPathComponent("models/\(name).safetensors").path
        let eval = root.appendingPathComponent("samples/eval").path
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("scores.json")
        let outcome = try Executables.run(
            "ladon-eval",
            [
                "--model", model, "--annotations", "\(eval)/annotations.json",
                "--images", "\(eval)/images", "--masks", "\(eval)/masks",
                "--quiet", "--json", json.path,
            ])
        try #require(outcome.status == 0, "\(outcome.standardError)")
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
    }

    static func number(_ report: [String: Any], _ section: String, _ key: String) -> Double? {
        (report[section] as? [String: Any])?[key] as? Double
    }

    @Test(arguments: models)
    func swiftRuntimeReachesThePyTorchScores(_ name: String) throws {
        let reference =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: Self.root.appendingPathComponent("models/\(name).pytorch-scores.json"))) as? [String: Any]
        let report = try Self.evaluate(name)
        let ours: [String: Double?] = [
            "top1": Self.number(report, "classification", "top1"),
            "mAP": Self.number(report, "detection", "map"),
            "mAP50": Self.number(report, "detection", "map50"),
            "mIoU": Self.number(report, "segmentation", "miou"),
        ]
        for (metric, value) in ours {
            let expected = try #require(reference?[metric] as? Double, "reference lacks \(metric)")
            let score = try #require(value, "report lacks \(metric)")
            #expect(score >= expected - Self.margin, "\(metric): ours \(score), PyTorch \(expected)")
        }
    }

    /// The point of shipping several betas: each larger rate weight codes the same frames in fewer bytes.
    @Test func eachLargerBetaCodesTheHeldOutFramesInFewerBytes() throws {
        let bytes = try Self.models.map { name in
            try #require(Self.number(try Self.evaluate(name), "rate", "mean_latent_bytes"), "\(name): no rate in the report")
        }
        #expect(zip(bytes, bytes.dropFirst()).allSatisfy { $1 < $0 }, "mean latent bytes: \(zip(Self.models, bytes).map { "\($0) \($1)" })")
    }
}
