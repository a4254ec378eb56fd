/// The Results the edge makes when it cannot answer a frame (its workers and broker, and a re-run of stored latents).
extension ResultMessage {
    /// A frame the edge could not answer, for a latent it could parse; `stagesBefore` is its time so far.
    public init(failed latent: LatentMessage, error: String, stagesBefore: [StageTiming] = []) {
        self.init(
            header: latent.header, model: latent.model, originalSize: latent.originalSize, timings: stagesBefore,
            latentBytes: UInt64(latent.coded.count), error: error)
    }

    /// A message from `nodeID` that was not a usable latent: only the sender and the size are known.
    public init(unparsedFrom nodeID: String, bytes: Int, error: String) {
        self.init(
            header: FrameHeader(nodeID: nodeID, sequence: 0), model: ModelIdentity(backbone: "", beta: 0, weightsHash: 0),
            originalSize: ImageSize(height: 0, width: 0), latentBytes: UInt64(bytes), error: error)
    }
}
