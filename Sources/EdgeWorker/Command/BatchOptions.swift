import LadonEdge
import Shared

/// `--max-batch` and `--batch-wait-ms`: `ladon-edge worker`'s batching, which `serve` passes on to its
/// local workers.
enum BatchOptions {
    static let specs: [CommandSpec.Option] = [
        .value(
            "max-batch", "n",
            help: "Frames a worker computes together at most, when several wait and their latents have one shape (1-16, default 1: none)."),
        .value("batch-wait-ms", "ms", help: "The longest a frame waits for others to fill its batch (0-1000, default 2)."),
    ]

    static func parse(_ options: ParsedArguments) throws(CommandLineError) -> (maxBatch: Int, waitMilliseconds: Int) {
        let (batches, waits) = (EdgeWorkerLoop.Configuration.maxBatchRange, EdgeWorkerLoop.Configuration.batchWaitRange)
        let maxBatch = try options.number("max-batch", default: 1, expected: "\(batches.lowerBound) to \(batches.upperBound)") {
            batches.contains($0)
        }
        let wait = try options.number("batch-wait-ms", default: 2, expected: "\(waits.lowerBound) to \(waits.upperBound) ms") {
            waits.contains($0)
        }
        return (maxBatch, wait)
    }
}
