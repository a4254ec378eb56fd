import Foundation
import Shared

/// One stage's measurement: median wall time over the timed runs and the work it did.
struct StageMeasurement {
    let stage: String
    let medianMilliseconds: Double
    let multiplyAccumulates: Int

    var gigaflopsPerSecond: Double {
        medianMilliseconds > 0 ? 2 * Double(multiplyAccumulates) / (medianMilliseconds * 1e6) : 0
    }
}

/// Runs each stage once to warm up, then `runs` times, and keeps the median.
func measure(_ stage: String, runs: Int, _ body: () -> Void) -> StageMeasurement {
    body()
    var samples: [Double] = []
    var work = 0
    for _ in 0..<max(1, runs) {
        let macsBefore = Compute.multiplyAccumulateCount
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        work = Compute.multiplyAccumulateCount - macsBefore
    }
    samples.sort()
    return StageMeasurement(stage: stage, medianMilliseconds: samples[samples.count / 2], multiplyAccumulates: work)
}

/// PyTorch's per-stage medians from tools/bench_reference.py (`{"threads": n, "stages": {"name": ms}}`).
struct ReferenceTimings {
    let threads: Int?
    let milliseconds: [String: Double]

    static func load(_ path: String) throws -> ReferenceTimings {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let stages = json["stages"] as? [String: Any]
        else { throw BenchmarkError.badReference(path) }
        var milliseconds: [String: Double] = [:]
        for (name, value) in stages {
            if let number = value as? Double { milliseconds[name] = number }
            if let object = value as? [String: Any], let number = object["ms"] as? Double { milliseconds[name] = number }
        }
        return ReferenceTimings(threads: json["threads"] as? Int, milliseconds: milliseconds)
    }
}

enum BenchmarkError: Error, CustomStringConvertible {
    case badReference(String)
    case missingModel

    var description: String {
        switch self {
        case let .badReference(path): return "reference timings \(path) lack a 'stages' map of stage name to ms"
        case .missingModel: return "--model is required unless --detection-head is given"
        }
    }
}

/// The printed table: Swift ms, GFLOP/s, PyTorch ms and the ratio Swift / PyTorch (below 1 is faster).
struct BenchmarkReport {
    let results: [StageMeasurement]
    let reference: ReferenceTimings?
    let threads: Int

    var table: String {
        var lines = [
            "threads: \(threads)" + (reference?.threads.map { ", reference threads: \($0)" } ?? ""),
            pad("stage", 16) + pad("swift ms", 11) + pad("GFLOP/s", 10) + pad("pytorch ms", 12) + "swift/pytorch",
        ]
        for result in results {
            var line =
                pad(result.stage, 16) + pad(String(format: "%.1f", result.medianMilliseconds), 11)
                + pad(result.multiplyAccumulates > 0 ? String(format: "%.1f", result.gigaflopsPerSecond) : "-", 10)
            if let reference = reference?.milliseconds[result.stage] {
                line += pad(String(format: "%.1f", reference), 12) + String(format: "%.2f", result.medianMilliseconds / reference)
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.padding(toLength: max(width, text.count + 1), withPad: " ", startingAt: 0)
    }
}
