import LadonEval
import Shared

// The evaluator: one command, scores on a labelled data set.
runCommandLineProgram("ladon-eval") {
    try EvalCommand.run(Array(CommandLine.arguments.dropFirst()))
}
