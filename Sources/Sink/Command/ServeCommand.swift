import Foundation
import LadonSink
import Shared

/// `ladon-sink serve`: receive Results, publish them by topic, log metrics, optionally save and annotate them.
enum ServeCommand {
    static let spec = CommandSpec(
        command: "ladon-sink serve",
        summary: "Receive Results, publish them under <node>/<task> and <node>/all, log metrics and summaries.",
        options: [
            .value("results", "endpoint", help: "Where the edge broker PUSHes Results (e.g. tcp://*:5557).", required: true),
            .value("publish", "endpoint", help: "Where subscribers connect (e.g. tcp://*:5558).", required: true),
            .value("out", "dir", help: "Write each Result as JSON and its label map as PNG into this folder."),
            .history,
            .value("store", "file", help: "Store every Result in this SQLite file (WAL; the Result's columns, JSON document and bytes)."),
            .value("retain", "rows", help: "With --store: keep only the newest this many Results."),
            .value("mqtt", "host:port", help: "Also publish to this MQTT broker: <prefix>/<node>/<task> retained, <prefix>/<node>/events."),
            .value("mqtt-prefix", "prefix", help: "The MQTT topics' first level (default 'ladon')."),
            .metrics,
            .value(
                "http", "addr:port",
                help: "Serve the live viewer at http://ADDR:PORT/ (each node's newest frame, latency, bytes, drops; no login: "
                    + "bind loopback or put it behind your own proxy)."),
            .value(
                "frames", "dir",
                help: "The folder ingest reads: draw Results on their source frames, into <node>-<seq>-annotated.png "
                    + "(with --out) and in the viewer (with --http)."),
            .value("min-score", "score", help: "Smallest detection score drawn on annotated frames (default 0.5)."),
            .value("summary-every", "seconds", help: "Print a summary this often (default: only at exit)."),
            .value("expect", "n", help: "Exit after this many Results."),
            .value("subscriber-queue", "n", help: "Results queued per subscriber before its newest are dropped (default 16)."),
            .value("secret-key", "file", help: "This sink's secret certificate (ladon-keygen): CURVE on both sockets."),
            .value("allow-edges", "dir", help: "Folder of the edge certificates whose Results are taken (CURVE)."),
            .value("allow-subscribers", "dir", help: "Folder of the subscriber certificates let in (CURVE)."),
            .flag("insecure", help: StageSecurity.insecureHelp),
        ])

    static func run(_ arguments: [String]) throws {
        let options = try spec.parse(arguments)
        var configuration = SinkServer.Configuration(results: options.required("results"), publish: options.required("publish"))
        configuration.outDirectory = options.value("out")
        configuration.history = try options.historyLog(stage: "sink")
        configuration.storePath = options.value("store")
        configuration.mqtt = options.value("mqtt")
        if let prefix = options.value("mqtt-prefix") { configuration.mqttPrefix = prefix }
        configuration.retainRows = try options.optionalNumber("retain", expected: "a positive number of rows") { $0 > 0 }
        if configuration.retainRows != nil && configuration.storePath == nil { throw CommandLineError.missingOption("store") }
        let renderer = try AnnotateCommand.renderer(options)
        var frames: FrameFolder?
        if options.value("frames") != nil {
            guard configuration.outDirectory != nil || options.value("http") != nil else { throw CommandLineError.missingOption("out") }
            frames = FrameFolder(path: try AnnotateCommand.folder(options, "frames"), renderer: renderer)
            if configuration.outDirectory != nil { configuration.frames = frames }
        }
        configuration.summaryEverySeconds = try options.optionalNumber("summary-every", expected: "a positive number of seconds") { $0 > 0 }
        configuration.expect = try options.optionalNumber("expect", expected: "0 or more results") { $0 >= 0 }
        configuration.subscriberQueue = try options.number(
            "subscriber-queue", default: configuration.subscriberQueue, expected: "at least 1"
        ) { $0 >= 1 }
        let security = try StageSecurity.resolve(
            secretKey: options.value("secret-key"), insecure: options.flag("insecure"),
            endpoints: [configuration.results, configuration.publish])
        configuration.security = security
        configuration.allowedEdges = try security.allowList(options.value("allow-edges"), option: "allow-edges")
        configuration.allowedSubscribers = try security.allowList(options.value("allow-subscribers"), option: "allow-subscribers")
        let metrics = try options.metricsServer(stage: "sink")
        defer { metrics?.close() }
        configuration.metrics = metrics.map { SinkSeries($0.registry) }
        let viewer = try options.httpAddress("http").map { address in
            try ViewerServer(
                board: ViewerBoard(minimumScore: renderer.style.minimumScore), address: address, renderer: renderer, folder: frames)
        }
        defer { viewer?.close() }
        if let viewer {
            Logger(label: "ladon-sink.viewer").info("serving the viewer", ["address": viewer.address, "url": "http://\(viewer.address)/"])
        }
        configuration.viewer = viewer?.board
        StopSignal.install()
        try SinkServer(configuration).run(
            shouldStop: { StopSignal.isRequested }, report: { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) })
    }
}
