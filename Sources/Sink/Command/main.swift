import LadonSink
import Shared

// The sink stage: `serve` receives Results and publishes them by topic, `subscribe` prints them,
// `annotate` draws saved results on their frames, `replay` publishes stored ones again.
runSubcommands(
    "ladon-sink", about: "the results stage of Ladon split computing.",
    [
        Subcommand("serve", ServeCommand.spec, run: ServeCommand.run),
        Subcommand("subscribe", SubscribeCommand.spec, run: SubscribeCommand.run),
        Subcommand("annotate", AnnotateCommand.spec, run: AnnotateCommand.run),
        Subcommand("replay", ReplayCommand.spec, run: ReplayCommand.run),
    ])
