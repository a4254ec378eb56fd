import Foundation
import Shared

/// The worker's compute thread: receives a batch of Job bytes (one message part per Job) on an inproc
/// PAIR and answers with the Answers' bytes, one part per Job in the same order. The batch runs as
/// `EdgeInference.infer(batch:)` does it; a Job that does not parse or a frame that fails is answered
/// with its own error Result and the others are not touched.
/// Everything it captures is `Sendable`; its socket is created and closed on the thread itself.
struct WorkerComputeThread: Sendable {
    let context: Context
    let endpoint: String
    let inference: EdgeInference
    let holdMilliseconds: Int
    let log: Logger

    func start() {
        let body = self
        let thread = Thread { body.loop() }
        thread.start()
    }

    private func loop() {
        guard let socket = try? context.socket(.pair) else { return }
        defer { socket.close() }
        do throws(TransportError) {
            try socket.connect(endpoint)
            while true {
                let message = try socket.receive()
                try socket.send(answers(message))
            }
        } catch {
            if !error.isContextTerminated { log.error("compute thread stopped", ["error": error]) }
        }
    }

    private func answers(_ jobBytes: [[UInt8]]) -> [[UInt8]] {
        var answers = [[UInt8]?](repeating: nil, count: jobBytes.count)
        var parsed: [(index: Int, job: JobMessage, latent: LatentMessage)] = []
        for (index, bytes) in jobBytes.enumerated() {
            do throws(WireError) {
                let job = try JobMessage(serialized: bytes)
                parsed.append((index, job, try LatentMessage(serialized: job.latent)))
            } catch {
                answers[index] = AnswerMessage(ResultMessage(unparsedFrom: "", bytes: bytes.count, error: "\(error)")).serialized()
            }
        }
        let outcomes = inference.infer(batch: parsed.map(\.latent))
        for ((index, job, latent), outcome) in zip(parsed, outcomes) {
            var result: ResultMessage
            switch outcome {
            case var .success(computed):
                // Logits stay in this process: the wire carries the top classes.
                computed.tasks.classification?.logits = nil
                result = computed
            case let .failure(error):
                log.warning("frame failed", ["node": latent.header.nodeID, "sequence": latent.header.sequence, "error": error])
                result = ResultMessage(failed: latent, error: "\(error)")
            }
            result.timings = job.stagesBefore + result.timings
            if job.keepsLatent { result.latent = job.latent }
            answers[index] = AnswerMessage(result, jobID: job.jobID).serialized()
        }
        if holdMilliseconds > 0 { PipelineClock.sleep(milliseconds: holdMilliseconds) }
        return answers.map { $0 ?? [] }
    }
}
