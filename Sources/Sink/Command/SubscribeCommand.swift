import Foundation
import LadonSink
import Shared

/// `ladon-sink subscribe`: one JSON line per Result published under a topic prefix.
enum SubscribeCommand {
    static let spec = CommandSpec(
        command: "ladon-sink subscribe",
        summary: "Print one JSON line per Result published under a topic prefix.",
        options: [
            .value("connect", "endpoint", help: "The sink's publish endpoint (e.g. tcp://127.0.0.1:5558).", required: true),
            .value("topic", "prefix", help: "Topic prefix: 'cam-01/', 'cam-01/detection', '' for everything (default '')."),
            .value("count", "n", help: "Exit after this many Results."),
        ])

    static func run(_ arguments: [String]) throws {
        let options = try spec.parse(arguments)
        let count: Int? = try options.optionalNumber("count", expected: "0 or more results") { $0 >= 0 }
        StopSignal.install()
        try ResultSubscriber.run(
            connect: options.required("connect"), topic: options.value("topic") ?? "", count: count,
            shouldStop: { StopSignal.isRequested }, emit: { line in FileHandle.standardOutput.write(line) })
    }
}
