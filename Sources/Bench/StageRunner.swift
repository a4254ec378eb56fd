import Shared

/// The stages of one frame at the model's architecture, each timed on its own input.
struct StageBenchmark {
    let mobile: MobileModel
    let edge: EdgeModel
    let input: Tensor

    init(modelPath: String, imagePath: String?) throws {
        let file = try LadonModelFile(path: modelPath)
        mobile = try MobileModel(file)
        edge = try EdgeModel(file)
        // A 640x480 frame becomes a 1x3x320x416 network input; a deterministic pattern stands in for pixels.
        input = Tensor(shape: [1, 3, 320, 416], scalars: (0 ..< 3 * 320 * 416).map { Float(($0 * 7919) % 255) / 64 - 2 })
        _ = imagePath
    }

    func run(runs: Int) -> [StageTiming] {
        var results: [StageTiming] = []
        let latent = mobile.entropy.quantizeDequantize(mobile.encoder(input))
        results.append(measure("encoder", runs: runs) { _ = mobile.encoder(input) })
        let decoded = edge.trunk.decode(latent)
        results.append(measure("decoder", runs: runs) { _ = edge.trunk.decode(latent) })
        let features = edge.trunk.resNetLayers(decoded)
        results.append(measure("layers", runs: runs) { _ = edge.trunk.resNetLayers(decoded) })
        if let head = edge.classification {
            results.append(measure("classification", runs: runs) { _ = head(features.layer4) })
        }
        if let head = edge.detection {
            // A 640x480 frame: resized to 416x312, padded to 416x320.
            let (padded, resized, original) = (ImageSize(height: 320, width: 416), ImageSize(height: 312, width: 416),
                                               ImageSize(height: 480, width: 640))
            results.append(measure("detection", runs: runs) {
                _ = try? head(features: features, paddedSize: padded, resizedSize: resized, originalSize: original)
            })
        }
        if let head = edge.segmentation {
            results.append(measure("segmentation", runs: runs) { _ = head(features.layer4) })
        }
        return results
    }
}
