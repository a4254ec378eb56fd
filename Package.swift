// swift-tools-version:6.0
// Ladon multi-task split computing runtime: one library per pipeline stage (its own folder under Sources/,
// the stage's command in its Command/ subfolder) over one shared library. docs/architecture.md draws it.
import Foundation
import PackageDescription

/// The compute kernels alone build without bounds and overflow checks: measured, the checks cost the
/// im2col, Winograd, polyphase and GDN loops 8 % more instructions (README, "Faithfulness and speed").
/// Everything else, and all that parses input, keeps Swift's checks.
/// On x86-64 they are compiled for the x86-64-v3 level (Haswell and later: AVX2, FMA, BMI2), so their SIMD8 and SIMD16
/// code runs as AVX2 instead of pairs of SSE instructions: measured on the official edge frame at one thread, layer2..4
/// 158-161 -> 122-124 ms, the whole frame 695-713 -> 644-665 ms. CCPUBaseline stops an older CPU with one clear line.
#if arch(x86_64)
    let kernelCPU = ["-target-cpu", "haswell"]
#else
    let kernelCPU: [String] = []
#endif
let uncheckedKernels: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)), .unsafeFlags(kernelCPU),
]

/// Sources/Shared's folders; Tensor/ and Ops/ build as the Kernels target, the rest as Shared.
let kernelFolders = ["Tensor", "Ops"]
let sharedFolders =
    (try? FileManager.default.contentsOfDirectory(atPath: Context.packageDirectory + "/Sources/Shared"))?.filter { !$0.hasPrefix(".") }.sorted()
    ?? []

/// A stage library at `Sources/<folder>` and its thin command at `Sources/<folder>/Command`.
func stage(_ library: String, folder: String, command: String, dependencies: [Target.Dependency] = []) -> [Target] {
    [
        .target(
            name: library, dependencies: ["Shared"] + dependencies, path: "Sources/\(folder)", exclude: ["Command"]),
        .executableTarget(name: command, dependencies: ["Shared", .target(name: library)], path: "Sources/\(folder)/Command"),
    ]
}

let package = Package(
    name: "Ladon",
    products: [
        .executable(name: "ladon-ingest", targets: ["ladon-ingest"]),
        .executable(name: "ladon-encoder", targets: ["ladon-encoder"]),
        .executable(name: "ladon-edge", targets: ["ladon-edge"]),
        .executable(name: "ladon-sink", targets: ["ladon-sink"]),
        .executable(name: "ladon-launch", targets: ["ladon-launch"]),
        .executable(name: "ladon-bench", targets: ["ladon-bench"]),
        .executable(name: "ladon-eval", targets: ["ladon-eval"]),
        .executable(name: "ladon-keygen", targets: ["ladon-keygen"]),
        .executable(name: "ladon-fuzz", targets: ["ladon-fuzz"]),
        .library(name: "Shared", targets: ["Shared"]),
    ],
    targets: [
        // MARK: C libraries (one Swift file imports each)
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .target(
            name: "CImageCodecs", path: "Sources/CImageCodecs",
            linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16"), .linkedLibrary("z")]),
        .target(name: "CVideoCapture", path: "Sources/CVideoCapture"),
        // oneDNN's GEMM (Debian's libdnnl-dev) behind Gemm.multiply for the small and middling products it runs
        // faster than OpenBLAS; one C file, so that OpenMP's team size is set where the call is made.
        .target(
            name: "CGemmBackend", path: "Sources/CGemmBackend",
            linkerSettings: [.linkedLibrary("dnnl")]),
        // The benchmark's FMA peak loop (AVX-512 or AVX2+FMA chosen at run time, a portable loop elsewhere).
        .target(name: "CPeakLoop", path: "Sources/CPeakLoop"),
        // The x86-64-v3 check that runs before any kernel compiled for it (see `kernelCPU`).
        .target(name: "CCPUBaseline", path: "Sources/CCPUBaseline"),
        .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ", providers: [.apt(["libzmq3-dev"])]),
        .target(
            name: "CLadonProto", path: "Sources/CLadonProto",
            linkerSettings: [.linkedLibrary("protobuf-c")]),
        // libFuzzer's driver entry; only the -sanitize=fuzzer build of ladon-fuzz calls it (Sources/Fuzz/README.md).
        .systemLibrary(name: "CFuzzerDriver", path: "Sources/CFuzzerDriver"),
        // SQLite (Debian's libsqlite3-dev) for the sink's result store.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        // libmosquitto (Debian's libmosquitto-dev) for the sink's MQTT publisher.
        .systemLibrary(name: "CMosquitto", path: "Sources/CMosquitto"),

        // MARK: Shared library: tensors, ops, model, weights, codec, images, messages, transport, inference
        // Tensor/ and Ops/ are their own target only for their build settings; Shared re-exports them.
        .target(
            name: "Kernels", dependencies: ["COpenBLAS", "CGemmBackend", "CCPUBaseline"], path: "Sources/Shared",
            exclude: sharedFolders.filter { !kernelFolders.contains($0) }, sources: kernelFolders, swiftSettings: uncheckedKernels),
        .target(
            name: "Shared", dependencies: ["Kernels", "CImageCodecs", "CLadonProto", "CZeroMQ"], path: "Sources/Shared",
            exclude: kernelFolders),
    ]
        // MARK: Stages: library + command each
        + stage("LadonIngest", folder: "Ingest", command: "ladon-ingest", dependencies: ["CVideoCapture"])
        + stage("LadonEncoder", folder: "Encoder", command: "ladon-encoder")
        + stage("LadonEdge", folder: "EdgeWorker", command: "ladon-edge")
        + stage("LadonSink", folder: "Sink", command: "ladon-sink", dependencies: ["CSQLite", "CMosquitto"])
        // MARK: Running and measuring the pipeline
        + stage("LadonLaunch", folder: "Launch", command: "ladon-launch")
        + stage("LadonEval", folder: "Eval", command: "ladon-eval")
        + stage("LadonBench", folder: "Bench", command: "ladon-bench", dependencies: ["LadonIngest", "CPeakLoop"])
        + [
            .executableTarget(name: "ladon-keygen", dependencies: ["Shared"], path: "Sources/Keygen"),

            // MARK: Fuzzing: the targets (a library the tests replay) and ladon-fuzz (libFuzzer or replay)
            .target(name: "LadonFuzz", dependencies: ["Shared", "LadonIngest"], path: "Sources/Fuzz", exclude: ["Command", "README.md"]),
            .executableTarget(
                name: "ladon-fuzz", dependencies: ["Shared", "LadonFuzz", "CFuzzerDriver"], path: "Sources/Fuzz/Command"),

            // MARK: Tests
            .target(name: "TestSupport", dependencies: ["Shared"], path: "Tests/TestSupport"),
            .testTarget(name: "CodecTests", dependencies: ["Shared", "TestSupport"], path: "Tests/CodecTests"),
            .testTarget(name: "DetectionTests", dependencies: ["Shared", "TestSupport"], path: "Tests/DetectionTests"),
            .testTarget(name: "EngineTests", dependencies: ["Shared", "TestSupport"], path: "Tests/EngineTests"),
            .testTarget(name: "FuzzTests", dependencies: ["Shared", "TestSupport", "LadonFuzz"], path: "Tests/FuzzTests"),
            .testTarget(name: "ImageTests", dependencies: ["Shared", "TestSupport"], path: "Tests/ImageTests"),
            .testTarget(name: "MessageTests", dependencies: ["Shared", "TestSupport"], path: "Tests/MessageTests"),
            .testTarget(name: "MetricsTests", dependencies: ["Shared", "TestSupport"], path: "Tests/MetricsTests"),
            .testTarget(name: "ModelTests", dependencies: ["Shared", "TestSupport"], path: "Tests/ModelTests"),
            .testTarget(name: "OpsTests", dependencies: ["Shared", "TestSupport"], path: "Tests/OpsTests"),
            .testTarget(name: "TransportTests", dependencies: ["Shared", "TestSupport"], path: "Tests/TransportTests"),
            .testTarget(name: "SupportTests", dependencies: ["Shared"], path: "Tests/SupportTests"),
            .testTarget(
                name: "IngestTests", dependencies: ["Shared", "TestSupport", "LadonIngest", "ladon-ingest", "ladon-encoder"],
                path: "Tests/IngestTests"),
            .testTarget(
                name: "EncoderTests", dependencies: ["Shared", "TestSupport", "LadonEncoder", "LadonIngest", "ladon-ingest", "ladon-encoder"],
                path: "Tests/EncoderTests"),
            .testTarget(
                name: "EdgeTests",
                dependencies: ["Shared", "TestSupport", "LadonEdge", "ladon-ingest", "ladon-encoder", "ladon-edge", "ladon-sink"],
                path: "Tests/EdgeTests"),
            .testTarget(
                name: "SinkTests", dependencies: ["Shared", "TestSupport", "LadonSink", "CSQLite", "ladon-edge", "ladon-sink"],
                path: "Tests/SinkTests"),
            .testTarget(
                name: "LaunchTests", dependencies: ["Shared", "TestSupport", "LadonLaunch", "ladon-launch", "ladon-ingest", "ladon-encoder"],
                path: "Tests/LaunchTests"),
            .testTarget(
                name: "EvaluationTests", dependencies: ["Shared", "TestSupport", "LadonEval", "ladon-eval"],
                path: "Tests/EvaluationTests"),
            .testTarget(
                name: "BenchTests",
                dependencies: ["Shared", "TestSupport", "LadonBench", "ladon-bench", "ladon-ingest", "ladon-encoder", "ladon-edge", "ladon-sink"],
                path: "Tests/BenchTests"),
            .testTarget(
                name: "NetworkTests",
                dependencies: ["Shared", "TestSupport", "LadonBench", "ladon-ingest", "ladon-encoder", "ladon-edge", "ladon-sink"],
                path: "Tests/NetworkTests"),
            .testTarget(
                name: "PipelineTests",
                dependencies: ["Shared", "TestSupport", "ladon-ingest", "ladon-encoder", "ladon-edge", "ladon-sink", "ladon-launch"],
                path: "Tests/PipelineTests"),
        ]
)
