import Foundation
import Shared

// The edge stage: `infer` answers one Latent message file.
let subcommands = ["infer"]

runCommandLineProgram("ladon-edge") {
    let arguments = Array(CommandLine.arguments.dropFirst())
    switch arguments.first {
    case "infer": try InferCommand.run(Array(arguments.dropFirst()))
    case "--help", "-h", nil:
        throw CommandLineError.helpRequested("ladon-edge: the edge stage of Ladon split computing.\n\nSUBCOMMANDS:\n  infer     \(InferCommand.spec.summary)\n\nSee 'ladon-edge <subcommand> --help'.")
    case let other?: throw CommandLineError.unknownSubcommand(other, known: subcommands)
    }
}
