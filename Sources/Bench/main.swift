import Foundation
import Shared

// Times the Ladon stages at the official architecture on one frame and prints ms, effective GFLOP/s
// and, given the PyTorch reference's timings (tools/bench_reference.py --json), the ratio per stage.

let spec = CommandSpec(
    command: "ladon-bench",
    summary: "Time the Swift runtime's stages beside the PyTorch reference.",
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
    ])

runCommandLineProgram("ladon-bench") {
    switch CommandLine.arguments.dropFirst().first {
    case "link":
        try LinkBenchmark.run(Array(CommandLine.arguments.dropFirst(2)))
        return
    case "broker":
        try BrokerBenchmark.run(Array(CommandLine.arguments.dropFirst(2)))
        return
    default:
        break
    }
    let arguments = try spec.parse(Array(CommandLine.arguments.dropFirst()))
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
    let results = try benchmark.run(runs: runs)
    print("BLAS kernels: \(Compute.blasKernels) (OPENBLAS_CORETYPE overrides)")
    print(BenchmarkReport(results: results, reference: reference, threads: threads).table)
}
