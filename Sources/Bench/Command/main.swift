import Foundation
import LadonBench
import Shared

// `ladon-bench`: the stages' timings beside PyTorch's; `ladon-bench link`: flow control on a shaped link;
// `ladon-bench broker`: the edge broker's CPU per Result; `ladon-bench batching`: worker batching against none.
runCommandLineProgram("ladon-bench") {
    let arguments = Array(CommandLine.arguments.dropFirst())
    switch arguments.first {
    case "link": try LinkCommand.run(Array(arguments.dropFirst()))
    case "broker": try BrokerBenchmark.run(Array(arguments.dropFirst()))
    case "batching": try BatchingBenchmark.run(Array(arguments.dropFirst()))
    // `ladon-bench soak`: the whole pipeline for a long run, watching memory, stalls and a slow subscriber.
    case "soak": try SoakCommand.run(Array(arguments.dropFirst()))
    default: try StageBenchmarkCommand.run(arguments)
    }
}
