import Foundation
import LadonIngest
import Shared

// The camera side of a mobile node: frames from files or an MJPEG stream, paced, pushed to the encoder.
let spec = CommandSpec(
    command: "ladon-ingest",
    summary: "Read JPEG frames and push them to ladon-encoder run, keeping only the freshest when it is busy.",
    options: [
        .value(
            "source", "path",
            help:
                "A JPEG file, a directory of JPEGs, a glob ('frames/*.jpg'), '-' for MJPEG on stdin, or a V4L2 camera offering MJPEG ('/dev/video0' or 'v4l2:/dev/video0').",
            required: true),
        .value("size", "WxH", help: "Frame size to ask a camera for (default 640x480; the driver may pick the nearest it has)."),
        .value("connect", "endpoint", help: "The encoder's ingest endpoint (ladon-encoder run --ingest).", required: true),
        .value("node-id", "name", help: "Node id recorded in each frame (default 'cam-01')."),
        .value("fps", "rate", help: "Frames per second (default: as fast as the source and encoder allow)."),
        .value("count", "n", help: "Stop after this many frames."),
        .flag("loop", help: "Start the file list again after its last frame."),
        .value("finish-timeout", "seconds", help: "How long the last frame and the end-of-stream Bye wait for the encoder (default 5)."),
        .history,
        .metrics,
        .flag("insecure", help: "Allow a tcp:// encoder endpoint: frames travel unencrypted (keep them on ipc:// on the device)."),
    ])

runCommandLineProgram("ladon-ingest") {
    let options = try spec.parse(Array(CommandLine.arguments.dropFirst()))
    StopSignal.install()
    let count: Int? = try options.optionalNumber("count", expected: "a non-negative count") { $0 >= 0 }
    if !options.flag("insecure") && !StageSecurity.isLocal(options.required("connect")) {
        throw SecurityError.plaintextRefused(endpoint: options.required("connect"))
    }
    var configuration = IngestStage.Configuration(
        endpoint: options.required("connect"), nodeID: try options.peerID("node-id", default: "cam-01"),
        framesPerSecond: try options.number("fps", default: 0.0, expected: "a non-negative number") { $0 >= 0 }, count: count,
        finishTimeoutSeconds: try options.number("finish-timeout", default: 5.0, expected: "a non-negative number") { $0 >= 0 })
    configuration.history = try options.historyLog(stage: "ingest")
    let metrics = try options.metricsServer(stage: "ingest")
    defer { metrics?.close() }
    configuration.metrics = metrics.map { IngestSeries($0.registry, nodeID: configuration.nodeID) }
    let stage = IngestStage(configuration)
    let summary: IngestStage.Summary
    if options.required("source") == "-" {
        var source = MJPEGStreamSource()
        summary = try stage.run(source: &source, shouldStop: { StopSignal.isRequested })
    } else if let device = CameraSource.devicePath(for: options.required("source")) {
        let size = options.value("size") ?? "640x480"
        let parts = size.split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts.allSatisfy({ $0 > 0 && $0 <= 16_384 }) else {
            throw CommandLineError.invalidValue(option: "size", value: size, expected: "WIDTHxHEIGHT, e.g. 640x480")
        }
        var source = try CameraSource(device: device, width: parts[0], height: parts[1])
        summary = try stage.run(source: &source, shouldStop: { StopSignal.isRequested })
    } else {
        var source = try FileSequenceSource(pattern: options.required("source"), loop: options.flag("loop"))
        summary = try stage.run(source: &source, shouldStop: { StopSignal.isRequested })
    }
    print("ladon-ingest[\(configuration.nodeID)] \(summary)")
}
