import Foundation
import LadonLaunch
import Shared

// Starts a pipeline topology (compose/*.json) as separate processes and stops it cleanly; `deploy`
// renders the same topology as a compose file and Kubernetes manifests instead.
let spec = CommandSpec(
    command: "ladon-launch",
    summary: "Run the pipeline stages a topology file lists as separate processes (Ctrl-C stops them all). "
        + "'ladon-launch deploy --help': render the topology as deploy files.",
    options: [])

if CommandLine.arguments.dropFirst().first == "deploy" {
    runCommandLineProgram("ladon-launch deploy") { try DeployCommand.run(Array(CommandLine.arguments.dropFirst(2))) }
}

runCommandLineProgram("ladon-launch") {
    let options = try spec.parse(Array(CommandLine.arguments.dropFirst()))
    guard options.positional.count == 1, let path = options.positional.first else {
        throw CommandLineError.missingOption("topology file (positional: ladon-launch compose/local.json)")
    }
    StopSignal.install()
    let topology = try Topology.load(path)
    let outcome = try Launcher(topology, executableFolder: OwnExecutable.folder).run()
    let problems = outcome.unexpectedExits.map { "\($0) died" } + outcome.killed.map { "\($0) killed" }
    print("ladon-launch: " + (problems.isEmpty ? "all stages ended cleanly" : problems.joined(separator: ", ")))
    if !problems.isEmpty { exit(ExitStatus.failure.rawValue) }
}
