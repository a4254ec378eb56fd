// swift-tools-version:6.0
// Ladon multi-task split computing runtime: mobile encoder and edge server stages over one shared library.
import PackageDescription

let optimize: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

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

        .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ", providers: [.apt(["libzmq3-dev"])]),
        .target(
            name: "CLadonProto", path: "Sources/CLadonProto",
            linkerSettings: [.linkedLibrary("protobuf-c")]),

        // MARK: Shared library: tensors, ops, model, weights, codec, images
        .target(
            name: "Shared", dependencies: ["COpenBLAS", "CImageCodecs", "CLadonProto", "CVideoCapture", "CZeroMQ"], path: "Sources/Shared",
            swiftSettings: optimize),

        // MARK: Stages
        .executableTarget(
            name: "ladon-ingest", dependencies: ["Shared"], path: "Sources/Ingest",
            swiftSettings: optimize),
        .executableTarget(
            name: "ladon-encoder", dependencies: ["Shared"], path: "Sources/Encoder",
            swiftSettings: optimize),
        .executableTarget(
            name: "ladon-edge", dependencies: ["Shared"], path: "Sources/EdgeWorker",
            swiftSettings: optimize),
        .executableTarget(
            name: "ladon-sink", dependencies: ["Shared"], path: "Sources/Sink",
            swiftSettings: optimize),
        .executableTarget(
            name: "ladon-launch", dependencies: ["Shared"], path: "Sources/Launch",
            swiftSettings: optimize),
        .executableTarget(
            name: "ladon-bench", dependencies: ["Shared"], path: "Sources/Bench",
            swiftSettings: optimize),

        // MARK: Evaluation
        .executableTarget(
            name: "ladon-eval", dependencies: ["Shared"], path: "Sources/Eval",
            swiftSettings: optimize),

        // MARK: Tests
        .target(name: "TestSupport", dependencies: ["Shared"], path: "Tests/TestSupport"),
        .testTarget(name: "CodecTests", dependencies: ["Shared", "TestSupport"], path: "Tests/CodecTests"),
        .testTarget(name: "DetectionTests", dependencies: ["Shared", "TestSupport"], path: "Tests/DetectionTests"),
        .testTarget(
            name: "EvaluationTests", dependencies: ["Shared", "TestSupport", "ladon-eval"],
            path: "Tests/EvaluationTests"),
        .testTarget(name: "EngineTests", dependencies: ["Shared", "TestSupport"], path: "Tests/EngineTests"),
        .testTarget(name: "ImageTests", dependencies: ["Shared", "TestSupport"], path: "Tests/ImageTests"),
        .testTarget(name: "MessageTests", dependencies: ["Shared", "TestSupport"], path: "Tests/MessageTests"),
        .testTarget(name: "ModelTests", dependencies: ["Shared", "TestSupport"], path: "Tests/ModelTests"),
        .testTarget(
            name: "PipelineTests",
            dependencies: ["Shared", "TestSupport", "ladon-ingest", "ladon-encoder", "ladon-edge", "ladon-sink", "ladon-launch"],
            path: "Tests/PipelineTests"),
        .testTarget(
            name: "StageTests", dependencies: ["Shared", "TestSupport", "ladon-ingest", "ladon-encoder", "ladon-launch"],
            path: "Tests/StageTests"),
        .testTarget(name: "OpsTests", dependencies: ["Shared", "TestSupport"], path: "Tests/OpsTests"),
        .testTarget(name: "TransportTests", dependencies: ["Shared", "TestSupport"], path: "Tests/TransportTests"),
    ]
)
