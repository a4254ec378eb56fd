import Foundation
import Shared

/// The stages of one frame at the model's architecture, each timed on its own input, named as
/// tools/bench_reference.py names the reference's stages so the report can pair them.
struct StageBenchmark {
    let file: LadonModelFile
    let mobile: MobileEncoder
    let edge: EdgeInference
    let jpeg: [UInt8]

    init(modelPath: String, imagePath: String) throws {
        file = try LadonModelFile(path: modelPath)
        mobile = try MobileEncoder(file)
        edge = try EdgeInference(file)
        jpeg = try FileIO.read(imagePath, what: "image")
    }

    /// Each stage's measurement; how many tensor buffers the timed edge frames allocated afresh (0 when memory
    /// is planned: every buffer reused from the warm-up frames'); and the minor page faults per timed edge frame
    /// (memory the process touched for the first time: temporaries outside the tensor pool, or pages it returned).
    func run(runs: Int) throws -> (stages: [StageMeasurement], freshBuffersInTimedFrames: Int, pageFaultsPerFrame: Int) {
        var results: [StageMeasurement] = []
        let coder = try EntropyBottleneck(mobile.model.entropy)
        let preprocessor = Preprocessor(mobile.model.architecture.preprocess)
        let image = try JPEG.decode(jpeg)
        results.append(measure("jpeg_decode", runs: runs) { _ = try? JPEG.decode(jpeg) })
        let prepared = try preprocessor(image)
        results.append(measure("preprocess", runs: runs) { _ = try? preprocessor(image) })
        let latent = mobile.model.encoder(prepared.input)
        results.append(measure("encoder", runs: runs) { _ = mobile.model.encoder(prepared.input) })
        let coded = try coder.compress(latent)
        results.append(measure("entropy_compress", runs: runs) { _ = try? coder.compress(latent) })
        let (height, width) = (latent.dim(2), latent.dim(3))
        let decodedLatent = try coder.decompress(coded, height: height, width: width)
        results.append(measure("entropy_decompress", runs: runs) { _ = try? coder.decompress(coded, height: height, width: width) })

        let model = edge.model
        let decoded = model.trunk.decode(decodedLatent)
        results.append(measure("decoder", runs: runs) { _ = model.trunk.decode(decodedLatent) })
        let features = model.trunk.resNetLayers(decoded)
        results.append(measure("layers", runs: runs) { _ = model.trunk.resNetLayers(decoded) })
        if let head = model.classification {
            results.append(measure("classification", runs: runs) { _ = head(features.layer4) })
        }
        if let head = model.segmentation {
            results.append(measure("aspp", runs: runs) { _ = head.aspp(features.layer4) })
            let padded = prepared.inputSize
            results.append(
                measure("segmentation", runs: runs) {
                    _ = Resize.bilinear(head(features.layer4), height: padded.height, width: padded.width)
                })
            // The edge frame's label map: from the head's logits, upsampled inside the crop as it goes (the
            // peers' segmentation stage, and ours above, stop at the upsampled logits).
            let logits = head(features.layer4)
            results.append(
                measure("label_map", runs: runs) {
                    _ = LabelMap.labels(
                        upsampling: logits, to: padded, resized: prepared.resizedSize, original: prepared.originalSize)
                })
        }
        if let head = model.detection {
            let sizes = (padded: prepared.inputSize, resized: prepared.resizedSize, original: prepared.originalSize)
            let pyramidInputs = [features.decoded, features.layer2, features.layer3, features.layer4]
            let (parts, _) = try head.medianTimings(
                pyramidInputs, paddedSize: sizes.padded, resizedSize: sizes.resized,
                originalSize: sizes.original, runs: runs)
            for (name, milliseconds, work) in [
                ("fpn", parts.fpn, parts.fpnWork), ("rpn", parts.rpn, parts.rpnWork),
                ("roi_align", parts.roiAlign, MultiplyAccumulates()), ("box_head", parts.boxHead, parts.boxHeadWork),
                ("box_postprocess", parts.postprocess, MultiplyAccumulates()),
            ] {
                results.append(StageMeasurement(stage: name, medianMilliseconds: milliseconds, multiplyAccumulates: work))
            }
            results.append(
                measure("detection", runs: runs) {
                    _ = try? head(
                        features: features, paddedSize: sizes.padded, resizedSize: sizes.resized,
                        originalSize: sizes.original)
                })
        }
        let message = try mobile.encode(jpeg: jpeg).message
        // Two frames first, so that the timed ones can show they allocate nothing: planned memory. (The pool
        // lends a buffer to a request up to half its size, so the second frame may still add one or two.)
        for _ in 0..<2 { _ = try? edge.infer(message) }
        let freshBefore = TensorMemory.freshBuffers
        let faultsBefore = Self.minorPageFaults
        results.append(measure("edge_frame", runs: runs) { _ = try? edge.infer(message) })
        // `measure` runs the body once more than `runs`, as its warm-up.
        let faults = (Self.minorPageFaults - faultsBefore) / (max(1, runs) + 1)
        return (results, TensorMemory.freshBuffers - freshBefore, faults)
    }

    /// This process's minor page faults since it started.
    static var minorPageFaults: Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_minflt
    }
}
