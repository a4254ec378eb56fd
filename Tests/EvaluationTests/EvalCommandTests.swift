import Foundation
import LadonEval
import Shared
import TestSupport
import Testing

/// `ladon-eval` as users run it, on result files shaped like `ladon-edge infer`'s whose class names differ
/// from the data set's; expected scores from pycocotools and numpy (tools/make_evaluation_fixtures.py).
struct EvalCommandTests {
    @Test func evaluatingResultFilesReportsPycocotoolsMAPAndNumpysMIoUAndTopOne() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("scores.json").path
        let run = Fixtures.path("evaluation/run")
        let outcome = try Executables.run(
            "ladon-eval",
            [
                "--annotations", "\(run)/annotations.json", "--masks", "\(run)/masks", "--results", "\(run)/results",
                "--json", json, "--quiet",
            ])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let scores = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let expected = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: "\(run)/expected.json"))) as? [String: Any])
        func number(_ object: Any?, _ key: String) -> Double { ((object as? [String: Any])?[key] as? NSNumber)?.doubleValue ?? -1 }
        #expect(abs(number(scores["classification"], "top1") - number(expected, "top1")) < 1e-12)
        #expect(abs(number(scores["detection"], "map") - number(expected, "map")) < 1e-12)
        #expect(abs(number(scores["detection"], "map50") - number(expected, "map50")) < 1e-12)
        #expect(abs(number(scores["segmentation"], "miou") - number(expected, "miou")) < 1e-12)
        #expect(abs(number(scores["segmentation"], "pixel_accuracy") - number(expected, "pixel_accuracy")) < 1e-12)
        #expect(outcome.standardOutput.contains("warning: detection classes that match no data-set class (counted wrong): blob"))
    }

    @Test func modelAndResultsTogetherAreAUsageError() throws {
        let outcome = try Executables.run("ladon-eval", ["--annotations", "a.json", "--model", "m", "--results", "r"])
        #expect(outcome.status == 64)
        #expect(outcome.standardError.contains("exactly one of --model and --results"))
    }
}
