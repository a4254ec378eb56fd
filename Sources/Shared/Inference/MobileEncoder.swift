/// The camera device's work for one frame: JPEG → unified preprocessing → bottleneck encoder →
/// entropy coding, packaged as a `LatentMessage` the edge can check against its own model.
public struct MobileEncoder: Sendable {
    public struct Output: Sendable {
        public let message: LatentMessage
        /// The padded network input [1, 3, H, W] and the encoder's latent before quantisation.
        public let input: Tensor
        public let latent: Tensor
        public let timings: StageTimings
    }

    public let model: MobileModel
    public let identity: ModelIdentity
    let preprocessor: Preprocessor
    let coder: EntropyBottleneck

    public init(_ file: LadonModelFile) throws(WeightsError) {
        model = try MobileModel(file)
        identity = try ModelIdentity(file)
        preprocessor = Preprocessor(model.architecture.preprocess)
        coder = try EntropyBottleneck.loading(model.entropy)
    }

    /// Encodes one JPEG frame; `header` is the frame's identity, carried into the latent unchanged.
    public func encode(jpeg: [UInt8], header: FrameHeader = FrameHeader(nodeID: "", sequence: 0)) throws(FrameError) -> Output {
        var timings = StageTimings()
        let image: PixelImage
        do throws(ImageError) {
            image = try timings.measure("jpeg_decode") { () throws(ImageError) in try JPEG.decode(jpeg) }
        } catch {
            throw .image(error)
        }
        return try encode(image: image, header: header, timings: timings)
    }

    /// Encodes one decoded frame.
    public func encode(
        image: PixelImage, header: FrameHeader = FrameHeader(nodeID: "", sequence: 0), timings: StageTimings = StageTimings()
    ) throws(FrameError) -> Output {
        var timings = timings
        let prepared: PreprocessedImage
        do throws(ImageError) {
            prepared = try timings.measure("preprocess") { () throws(ImageError) in try preprocessor(image) }
        } catch {
            throw .image(error)
        }
        let latent = timings.measure("encoder") { model.encoder(prepared.input) }
        let coded: [UInt8]
        do throws(CodecError) {
            coded = try timings.measure("entropy_encode") { () throws(CodecError) in try coder.compress(latent) }
        } catch {
            throw .codec(error)
        }
        let message = LatentMessage(
            header: header, model: identity,
            originalSize: prepared.originalSize, inputSize: prepared.inputSize, resizedSize: prepared.resizedSize,
            latentShape: Array(latent.shape.dropFirst()), coded: coded)
        return Output(message: message, input: prepared.input, latent: latent, timings: timings)
    }
}
