import LadonEdge
import Shared

// The edge stage: `serve` brokers mobile nodes to a worker pool, `worker` joins one, `infer` answers
// one Latent message file.
runSubcommands(
    "ladon-edge", about: "the edge stage of Ladon split computing.",
    [
        Subcommand("serve", ServeCommand.spec, run: ServeCommand.run),
        Subcommand("worker", WorkerCommand.spec, run: WorkerCommand.run),
        Subcommand("infer", InferCommand.spec, run: InferCommand.run),
    ])
