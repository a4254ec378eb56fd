import Foundation
import Shared

/// The detection head alone at the official size, on the weights, features and torchvision detections
/// that tools/time_detection_head.py writes: median ms per part, and how many detections match.
enum DetectionHeadTiming {
    static func report(path: String, runs: Int, threads: Int) throws -> String {
        let file = try SafeTensorsFile(path: path)
        let configuration = LadonArchitecture.Detection(
            numClasses: 91, fpnChannels: 256,
            classNames: (0..<91).map { "class\($0)" })
        let head = try DetectionHead(
            reader: WeightReader(file: file), prefix: "detection_head",
            inChannels: [256, 512, 1024, 2048], head: configuration)
        let features = try (0..<4).map { try file.tensor("feature\($0)") }
        let (timings, detections) = try head.medianTimings(
            features, paddedSize: ImageSize(height: 320, width: 416), resizedSize: ImageSize(height: 312, width: 416),
            originalSize: ImageSize(height: 480, width: 640), runs: runs)
        let expected = try torchvisionDetections(file)
        let matched = detections.filter { ours in
            expected.contains { theirs in
                ours.label == theirs.label && abs(ours.score - theirs.score) <= 1e-3 && iou(ours.box, theirs.box) >= 0.99
            }
        }.count
        let parts = [
            ("fpn", timings.fpn), ("rpn", timings.rpn), ("(of which proposal filtering)", timings.proposalFiltering), ("roi_align", timings.roiAlign),
            ("box_head", timings.boxHead), ("postprocess", timings.postprocess), ("total", timings.total),
        ]
        return "detection head, threads \(threads), median of \(runs) runs (ms): "
            + parts.map { "\($0.0) \(String(format: "%.1f", $0.1))" }.joined(separator: ", ")
            + "\n\(detections.count) detections, \(expected.count) from torchvision, \(matched) matched"
    }

    private static func torchvisionDetections(_ file: SafeTensorsFile) throws -> [Detection] {
        let boxes = try file.tensor("boxes").scalars
        let scores = try file.tensor("scores").scalars
        let labels = try file.int32s("labels")
        return labels.indices.map { i in
            Detection(
                box: Box(x1: boxes[4 * i], y1: boxes[4 * i + 1], x2: boxes[4 * i + 2], y2: boxes[4 * i + 3]),
                label: Int(labels[i]), score: scores[i])
        }
    }

    private static func iou(_ a: Box, _ b: Box) -> Float {
        let w = max(0, min(a.x2, b.x2) - max(a.x1, b.x1))
        let h = max(0, min(a.y2, b.y2) - max(a.y1, b.y1))
        let union = a.area + b.area - w * h
        return union > 0 ? w * h / union : 0
    }
}
