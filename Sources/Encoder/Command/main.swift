import LadonEncoder
import Shared

// The mobile stage: `encode` turns one JPEG into a Latent message file; `run` streams frames from ingest
// to the edge.
runSubcommands(
    "ladon-encoder", about: "the mobile stage of Ladon split computing.",
    [
        Subcommand("encode", EncodeCommand.spec, run: EncodeCommand.run),
        Subcommand("run", RunCommand.spec, run: RunCommand.run),
    ])
