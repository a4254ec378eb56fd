import Foundation
import Shared

// The sink stage: `serve` receives Results and publishes them by topic, `subscribe` prints them.
let subcommands = ["serve", "subscribe"]

let serveSpec = CommandSpec(
    command: "ladon-sink serve",
    summary: "Receive Results, publish them under <node>/<task> and <node>/all, log metrics and summaries.",
    options: [
        .value("results", "endpoint", help: "Where the edge broker PUSHes Results (e.g. tcp://*:5557).", required: true),
        .value("publish", "endpoint", help: "Where subscribers connect (e.g. tcp://*:5558).", required: true),
        .value("out", "dir", help: "Write each Result as JSON and its label map as PNG into this folder."),
        .value("summary-every", "seconds", help: "Print a summary this often (default: only at exit)."),
        .value("expect", "n", help: "Exit after this many Results."),
    ])

let subscribeSpec = CommandSpec(
    command: "ladon-sink subscribe",
    summary: "Print one JSON line per Result published under a topic prefix.",
    options: [
        .value("connect", "endpoint", help: "The sink's publish endpoint (e.g. tcp://127.0.0.1:5558).", required: true),
        .value("topic", "prefix", help: "Topic prefix: 'cam-01/', 'cam-01/detection', '' for everything (default '')."),
        .value("count", "n", help: "Exit after this many Results."),
    ])

runCommandLineProgram("ladon-sink") {
    let arguments = Array(CommandLine.arguments.dropFirst())
    switch arguments.first {
    case "serve":
        let options = try serveSpec.parse(Array(arguments.dropFirst()))
        var configuration = SinkServer.Configuration(results: options.required("results"), publish: options.required("publish"))
        configuration.outDirectory = options.value("out")
        if let every = options.value("summary-every") {
            guard let seconds = Double(every), seconds > 0 else {
                throw CommandLineError.invalidValue(option: "summary-every", value: every, expected: "a positive number of seconds")
            }
            configuration.summaryEverySeconds = seconds
        }
        if options.value("expect") != nil { configuration.expect = try options.integer("expect", default: 0) }
        StopSignal.install()
        try SinkServer(configuration).run(report: { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) })
    case "subscribe":
        let options = try subscribeSpec.parse(Array(arguments.dropFirst()))
        let count = options.value("count") != nil ? try options.integer("count", default: 0) : nil
        StopSignal.install()
        try ResultSubscriber.run(connect: options.required("connect"), topic: options.value("topic") ?? "", count: count) { line in
            FileHandle.standardOutput.write(line)
        }
    case "--help", "-h", nil:
        throw CommandLineError.helpRequested("""
            ladon-sink: the results stage of Ladon split computing.

            SUBCOMMANDS:
              serve       \(serveSpec.summary)
              subscribe   \(subscribeSpec.summary)

            See 'ladon-sink <subcommand> --help'.
            """)
    case let other?: throw CommandLineError.unknownSubcommand(other, known: subcommands)
    }
}
