import Foundation
import LadonSink
import Shared

// The sink stage: `serve` receives Results and publishes them by topic, `subscribe` prints them,
// `annotate` draws saved results on their frames.
let subcommands = ["serve", "subscribe", "annotate"]

runCommandLineProgram("ladon-sink") {
    let arguments = Array(CommandLine.arguments.dropFirst())
    switch arguments.first {
    case "serve": try ServeCommand.run(Array(arguments.dropFirst()))
    case "subscribe": try SubscribeCommand.run(Array(arguments.dropFirst()))
    case "annotate": try AnnotateCommand.run(Array(arguments.dropFirst()))
    case "--help", "-h", nil:
        throw CommandLineError.helpRequested(
            """
            ladon-sink: the results stage of Ladon split computing.

            SUBCOMMANDS:
              serve       \(ServeCommand.spec.summary)
              subscribe   \(SubscribeCommand.spec.summary)
              annotate    \(AnnotateCommand.spec.summary)

            See 'ladon-sink <subcommand> --help'.
            """)
    case let other?: throw CommandLineError.unknownSubcommand(other, known: subcommands)
    }
}
