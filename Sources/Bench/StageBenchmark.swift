import Foundation
import Shared

/// `ladon-bench [--model M]`: times the Ladon stages at the official architecture on one frame and prints
/// ms, effective GFLOP/s and, given the PyTorch reference's timings (tools/bench_reference.py --json),
/// the ratio per stage.
public enum StageBenchmarkCommand {
    public static let spec = CommandSpec(
        command: "ladon-bench",
        summary: "Time the Swift runtime's stages beside the PyTorch reference (subcommands: link, broker).",
        options: [
            .value("model", "path", help: "Ladon model file (tools/convert.py --random-init --preset official)."),
            .value(
                "detection-head", "path",
                help: "Time only the detection head from tools/time_detection_head.py's file, per part."),
            .value(
                "codec-frame", "path",
                help: "Time only the entropy coder on tools/bench_codec_reference.py's frame latent."),
            .value("image", "path", help: "JPEG to run (default: samples/bench/astronaut-640x480.jpg)."),
            .value("threads", "n", help: "Threads for BLAS and our kernels (default 2)."),
            .value("runs", "n", help: "Timed runs per stage after one warm-up (default 5)."),
            .value("reference", "path", help: "JSON timings from tools/bench_reference.py to compare against."),
            .flag("json", help: "Print the timings, GFLOP/s and FMA peak as JSON (tools/bench_peers.py reads it)."),
        ])

    public static func run(_ arguments: [String]) throws {
        let arguments = try spec.parse(arguments)
        let threads = try arguments.integer("threads", default: 2)
        let runs = try arguments.integer("runs", default: 5)
        Compute.setThreads(threads)
        if let path = arguments.value("detection-head") {
            print(try DetectionHeadTiming.report(path: path, runs: runs, threads: threads))
            return
        }
        if let path = arguments.value("codec-frame") {
            print(try codecTiming(framePath: path, runs: max(runs, 21)))
            return
        }
        guard arguments.value("model") != nil else { throw BenchmarkError.missingModel }
        let reference = try arguments.value("reference").map(ReferenceTimings.load)
        let benchmark = try StageBenchmark(
            modelPath: arguments.required("model"),
            imagePath: arguments.value("image") ?? "samples/bench/astronaut-640x480.jpg")
        let (results, freshBuffers, pageFaults) = try benchmark.run(runs: runs)
        let peak = FMAPeak.measure(threads: threads)
        let report = BenchmarkReport(results: results, reference: reference, threads: threads, peak: peak)
        if arguments.flag("json") {
            print(report.json(freshBuffers: freshBuffers, pageFaultsPerFrame: pageFaults, blasKernels: Compute.blasKernels))
            return
        }
        print(
            "Kernels: \(Compute.kernelBaseline); GEMM: \(Compute.blasKernels) (LADON_GEMM=openblas or onednn: that library alone; OPENBLAS_CORETYPE picks its kernels)"
        )
        print(
            "FMA peak (\(peak.family) loop): " + String(format: "%.1f", peak.gigaflopsOneThread) + " GFLOP/s on one thread, "
                + String(format: "%.1f", peak.gigaflopsAllThreads) + " on \(threads)")
        print(report.table)
        print("tensor buffers allocated afresh in the timed edge frames (after two warm-up frames): \(freshBuffers)")
        print("minor page faults per timed edge frame: \(pageFaults)")
        print("GEMM blocks oneDNN refused (multiplied by OpenBLAS instead): \(Compute.oneDNNRefusalCount)")
    }
}

/// One stage's measurement: median wall time over the timed runs and the work it did.
struct StageMeasurement {
    let stage: String
    let medianMilliseconds: Double
    let multiplyAccumulates: MultiplyAccumulates

    /// The GEMMs' rate.
    var gigaflopsPerSecond: Double { gigaflops(multiplyAccumulates.gemm) }
    /// The rate of the work the stage stands for: a Winograd convolution counted as the direct one.
    var effectiveGigaflopsPerSecond: Double { gigaflops(multiplyAccumulates.effective) }

    private func gigaflops(_ work: Int) -> Double {
        medianMilliseconds > 0 ? 2 * Double(work) / (medianMilliseconds * 1e6) : 0
    }
}

/// Runs each stage once to warm up, then `runs` times, and keeps the median.
func measure(_ stage: String, runs: Int, _ body: () -> Void) -> StageMeasurement {
    body()
    var samples: [Double] = []
    var work = MultiplyAccumulates()
    for _ in 0..<max(1, runs) {
        let before = MultiplyAccumulates.sinceStart
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        work = MultiplyAccumulates.sinceStart - before
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
    case noResults(seconds: Int)

    var description: String {
        switch self {
        case let .badReference(path): return "reference timings \(path) lack a 'stages' map of stage name to ms"
        case .missingModel: return "--model is required unless --detection-head is given"
        case let .noResults(seconds): return "no Result reached the benchmark's sink within \(seconds) s"
        }
    }
}

/// The printed table: Swift ms, GFLOP/s, its share of the FMA peak, the effective share (Winograd convolutions
/// counted as the direct convolution's work), PyTorch ms and the ratio Swift / PyTorch (below 1 is faster).
struct BenchmarkReport {
    let results: [StageMeasurement]
    let reference: ReferenceTimings?
    let threads: Int
    let peak: FMAPeak

    var table: String {
        var lines = [
            "threads: \(threads)" + (reference?.threads.map { ", reference threads: \($0)" } ?? ""),
            pad("stage", 16) + pad("swift ms", 11) + pad("GFLOP/s", 10) + pad("of peak", 9) + pad("effective", 11)
                + pad("pytorch ms", 12) + "swift/pytorch",
        ]
        for result in results {
            let counted = result.multiplyAccumulates.gemm > 0
            var line =
                pad(result.stage, 16) + pad(String(format: "%.1f", result.medianMilliseconds), 11)
                + pad(counted ? String(format: "%.1f", result.gigaflopsPerSecond) : "-", 10)
                + pad(counted ? String(format: "%.0f %%", 100 * result.gigaflopsPerSecond / peak.gigaflops) : "-", 9)
                + pad(counted ? String(format: "%.0f %%", 100 * result.effectiveGigaflopsPerSecond / peak.gigaflops) : "-", 11)
            if let reference = reference?.milliseconds[result.stage] {
                line += pad(String(format: "%.1f", reference), 12) + String(format: "%.2f", result.medianMilliseconds / reference)
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// `{"threads", "blas", "fma_peak": {...}, "fresh_buffers", "page_faults_per_frame", "onednn_refusals",
    /// "stages": {name: {"ms", "gmac", "gflops", "effective_gmac", "effective_gflops"}}}`.
    func json(freshBuffers: Int, pageFaultsPerFrame: Int, blasKernels: String) -> String {
        var stages: [String: Any] = [:]
        for result in results {
            stages[result.stage] = [
                "ms": result.medianMilliseconds, "gmac": Double(result.multiplyAccumulates.gemm) / 1e9,
                "gflops": result.gigaflopsPerSecond,
                "effective_gmac": Double(result.multiplyAccumulates.effective) / 1e9,
                "effective_gflops": result.effectiveGigaflopsPerSecond,
            ]
        }
        let document: [String: Any] = [
            "threads": threads, "blas": blasKernels, "kernel_baseline": Compute.kernelBaseline, "fresh_buffers": freshBuffers,
            "page_faults_per_frame": pageFaultsPerFrame,
            "onednn_refusals": Compute.oneDNNRefusalCount, "stages": stages,
            "fma_peak": [
                "family": peak.family, "gflops_one_thread": peak.gigaflopsOneThread,
                "gflops_all_threads": peak.gigaflopsAllThreads,
            ],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.padding(toLength: max(width, text.count + 1), withPad: " ", startingAt: 0)
    }
}
