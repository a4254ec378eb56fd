import Foundation
import LadonEncoder
import Shared

// The mobile stage: `encode` turns one JPEG into a Latent message file; `run` streams frames from ingest
// to the edge.
let subcommands = ["encode", "run"]

runCommandLineProgram("ladon-encoder") {
    let arguments = Array(CommandLine.arguments.dropFirst())
    switch arguments.first {
    case "encode": try EncodeCommand.run(Array(arguments.dropFirst()))
    case "run": try RunCommand.run(Array(arguments.dropFirst()))
    case "--help", "-h", nil:
        throw CommandLineError.helpRequested(
            "ladon-encoder: the mobile stage of Ladon split computing.\n\nSUBCOMMANDS:\n  encode    \(EncodeCommand.spec.summary)\n  run       \(RunCommand.spec.summary)\n\nSee 'ladon-encoder <subcommand> --help'."
        )
    case let other?: throw CommandLineError.unknownSubcommand(other, known: subcommands)
    }
}
