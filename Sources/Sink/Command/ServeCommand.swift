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
            .value(
                "frames", "dir",
                help: "The folder ingest reads: also draw each Result on its source frame into "
                    + "<node>-<seq>-annotated.png (needs --out)."),
            .value("min-score", "score", help: "Smallest detection score drawn on annotated frames (default 0.5)."),
            .value("summary-every", "seconds", help: "Print a summary this often (default: only at exit)."),
            .value("expect", "n", help: "Exit after this many Results."),
        ])

    static func run(_ arguments: [String]) throws {
        let options = try spec.parse(arguments)
        var configuration = SinkServer.Configuration(results: options.required("results"), publish: options.required("publish"))
        configuration.outDirectory = options.value("out")
        if options.value("frames") != nil {
            guard configuration.outDirectory != nil else { throw CommandLineError.missingOption("out") }
            configuration.frames = FrameFolder(
                path: try AnnotateCommand.folder(options, "frames"),
                renderer: try AnnotateCommand.renderer(options))
        }
        configuration.summaryEverySeconds = try options.optionalNumber("summary-every", expected: "a positive number of seconds") { $0 > 0 }
        configuration.expect = try options.optionalNumber("expect", expected: "0 or more results") { $0 >= 0 }
        StopSignal.install()
        try SinkServer(configuration).run(
            shouldStop: { StopSignal.isRequested }, report: { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) })
    }
}
