import Foundation
import Shared

/// Runs stored latents again through an edge model (`ladon-sink replay --rerun MODEL`): the same
/// checks and computation as an edge worker (`EdgeInference`), the frame's header kept, the re-run's
/// own stage timings, and the new Result stored into another store when one is given. A latent coded
/// for another encoder (another model identity) is refused, as the edge refuses it.
struct StoredLatentRerun {
    let inference: EdgeInference
    private var store: ResultStore?
    private var refusedOnce = false

    init(model path: String, into storePath: String?) throws {
        inference = try EdgeInference(LadonModelFile(path: path))
        store = try storePath.map { try ResultStore(path: $0) }
    }

    func close() { store?.close() }

    /// The row's Result computed again, and its bytes; `nil` (counted, and logged) when there is none to publish.
    mutating func run(
        _ row: ResultStore.Row, _ counts: inout ResultReplay.Counts, _ log: Logger
    ) throws -> (result: ResultMessage, bytes: [UInt8])? {
        guard let bytes = row.latent else {
            counts.withoutLatent += 1
            return nil
        }
        guard let latent = try? LatentMessage(serialized: bytes) else {
            counts.unreadable += 1
            log.warning("a stored latent does not parse", ["node": row.node, "sequence": row.sequence])
            return nil
        }
        guard latent.model == inference.identity else {
            counts.otherModel += 1
            if !refusedOnce {
                refusedOnce = true
                log.warning(
                    "stored latents of another encoder are not run (counted as other_model)",
                    [
                        "node": row.node, "sequence": row.sequence,
                        "error": InferenceError.modelMismatch(latent: latent.model, edge: inference.identity),
                    ])
            }
            return nil
        }
        var result: ResultMessage
        do throws(FrameError) {
            result = try inference.infer(latent)
            result.tasks.classification?.logits = nil
            counts.rerun += 1
        } catch {
            counts.failed += 1
            log.warning("a stored latent failed", ["node": row.node, "sequence": row.sequence, "error": error])
            result = ResultMessage(failed: latent, error: "\(error)")
        }
        let serialized = result.serialized()
        try store?.store(result, payload: serialized, latent: bytes, receivedMicroseconds: PipelineClock.wallMicroseconds())
        return (result, serialized)
    }
}
