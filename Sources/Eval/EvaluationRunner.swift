import Foundation
import Shared

/// Walks a data set's images and gathers each one's prediction and ground-truth mask: the model run in
/// process (`MobileEncoder` then `EdgeInference`, the latent passed as its wire bytes) or result files
/// `ladon-edge infer` wrote (`RESULTS/<stem>.json`, `RESULTS/<stem>.mask.png`).
public struct EvaluationRunner {
    public enum Source {
        case model(MobileEncoder, EdgeInference, imageFolder: String)
        case results(folder: String)
    }

    public let dataset: EvaluationDataset
    public let source: Source
    /// Ground-truth masks: `<maskFolder>/<stem>.png`; an image without one is left out of mIoU.
    public let maskFolder: String?

    public init(dataset: EvaluationDataset, source: Source, maskFolder: String?) {
        self.dataset = dataset
        self.source = source
        self.maskFolder = maskFolder
    }

    /// `progress` is called after each image with its index and file name.
    public func run(matching: LabelMatching, progress: (Int, String) -> Void = { _, _ in }) throws -> EvaluationReport {
        var evaluation = Evaluation(dataset: dataset, matching: matching)
        var rate = EvaluationReport.RateTally()
        for (index, image) in dataset.images.enumerated() {
            let stem = (image.fileName as NSString).deletingPathExtension
            let truthMask = try maskFolder.flatMap { folder in
                try readMask(join(folder, (stem as NSString).lastPathComponent + ".png"))
            }
            let (prediction, latent) = try predict(image, stem: (stem as NSString).lastPathComponent)
            try evaluation.add(image, prediction, truthMask: truthMask)
            if let latent { rate.add(latent) }
            progress(index, image.fileName)
        }
        return EvaluationReport(evaluation, images: dataset.images.count, matching: matching, rate: rate.rate)
    }

    /// The prediction, and the latent it came from when the model ran in process.
    private func predict(_ image: EvaluationDataset.Image, stem: String) throws -> (TaskResults, LatentMessage?) {
        switch source {
        case let .model(encoder, edge, folder):
            let jpeg = try FileIO.read(join(folder, image.fileName), what: "image", limit: 64 << 20)
            let header = FrameHeader(nodeID: "eval", sequence: UInt64(image.id), source: image.fileName)
            let wire = try encoder.encode(jpeg: jpeg, header: header).message.serialized()
            let latent = try LatentMessage(serialized: wire)
            return (try edge.infer(latent).tasks, latent)
        case let .results(folder):
            let path = join(folder, stem + ".json")
            let maskPath = join(folder, stem + ".mask.png")
            let mask = FileManager.default.fileExists(atPath: maskPath) ? try readMask(maskPath) : nil
            let json = Data(try FileIO.read(path, what: "result", limit: 64 << 20))
            do throws(ResultDocumentError) {
                let result = try ResultMessage(json: json, labels: mask)
                return (result.tasks, nil)
            } catch {
                throw EvaluationError.badResult(path: path, reason: "\(error)")
            }
        }
    }

    private func readMask(_ path: String) throws -> (labels: [UInt8], size: ImageSize)? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try LabelMask.decode(FileIO.read(path, what: "mask", limit: 256 << 20), path: path)
    }

    private func join(_ folder: String, _ name: String) -> String {
        URL(fileURLWithPath: folder).appendingPathComponent(name).path
    }
}
