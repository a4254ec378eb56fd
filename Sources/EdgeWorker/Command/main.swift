import Foundation
import LadonEdge
import Shared

// The edge stage: `serve` brokers mobile nodes to a worker pool, `worker` joins one, `infer` answers
// one Latent message file.
let subcommands = ["serve", "worker", "infer"]

runCommandLineProgram("ladon-edge") {
    let arguments = Array(CommandLine.arguments.dropFirst())
    switch arguments.first {
    case "serve": try ServeCommand.run(Array(arguments.dropFirst()))
    case "worker": try WorkerCommand.run(Array(arguments.dropFirst()))
    case "infer": try InferCommand.run(Array(arguments.dropFirst()))
    case "--help", "-h", nil:
        throw CommandLineError.helpRequested(
            """
            ladon-edge: the edge stage of Ladon split computing.

            SUBCOMMANDS:
              serve     \(ServeCommand.spec.summary)
              worker    \(WorkerCommand.spec.summary)
              infer     \(InferCommand.spec.summary)

            See 'ladon-edge <subcommand> --help'.
            """)
    case let other?: throw CommandLineError.unknownSubcommand(other, known: subcommands)
    }
}
