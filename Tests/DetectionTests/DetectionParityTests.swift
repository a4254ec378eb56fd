import Foundation
import Shared
import TestSupport
import Testing

/// The detection ops and the whole head against torchvision, on tools/make_detection_fixtures.py's cases.
/// Serialized: each case sets the engine's thread count, which is global.
@Suite(.serialized) struct DetectionParityTests {
    static let cases = Fixtures.cases(in: "detection")

    @Test func theFixturesCoverEveryOp() throws {
        let ops = Set(try Self.cases.map { try DetectionFixture($0).op })
        #expect(
            ops == ["anchors", "box_coder", "nms", "batched_nms", "roi_align", "level_mapping", "head"],
            "fixture ops \(ops.sorted())")
    }

    @Test(arguments: cases)
    func opMatchesTorchvisionOnTwoThreadsAndOne(_ name: String) throws {
        let previous = Compute.threads
        defer { Compute.setThreads(previous) }
        for threads in [2, 1] {
            Compute.setThreads(threads)
            try Self.check(try DetectionFixture(name), label: "\(name) (\(threads) threads)")
        }
    }

    static func check(_ fixture: DetectionFixture, label: String) throws {
        switch fixture.op {
        case "anchors":
            let generator = AnchorGenerator(
                sizes: [[32], [64], [128], [256], [512]],
                aspectRatios: Array(repeating: [0.5, 1, 2], count: 5))
            let grids: [[Int]] = try fixture.parameter("grids")
            let padded = try fixture.size("padded")
            let anchors = grids.enumerated().flatMap { level, grid in
                generator.anchors(level: level, grid: (grid[0], grid[1]), padded: padded)
            }
            expectClose(DetectionFixture.tensor(anchors), try fixture.tensor("anchors"), atol: 0, rtol: 0, label)
        case "box_coder":
            let w: [Double] = try fixture.parameter("weights")
            let coder = BoxCoder(weights: (Float(w[0]), Float(w[1]), Float(w[2]), Float(w[3])))
            let reference = try fixture.boxes("reference")
            let d = try fixture.tensor("deltas").scalars
            let decoded = reference.indices.map { i in
                coder.decode(dx: d[4 * i], dy: d[4 * i + 1], dw: d[4 * i + 2], dh: d[4 * i + 3], reference[i])
            }
            // exp differs from torch's vectorised exp by an ulp or so; widths reach e^4.1·120.
            expectClose(DetectionFixture.tensor(decoded), try fixture.tensor("decoded"), atol: 1e-3, rtol: 1e-5, label)
            let targets = try fixture.boxes("targets")
            let encoded = targets.indices.flatMap { i -> [Float] in
                let e = coder.encode(targets[i], reference: reference[i])
                return [e.0, e.1, e.2, e.3]
            }
            expectClose(
                Tensor(shape: [targets.count, 4], scalars: encoded), try fixture.tensor("encoded"),
                atol: 1e-5, rtol: 1e-5, label)
        case "nms":
            let keep = NonMaximumSuppression.nms(
                try fixture.boxes("boxes"), scores: try fixture.tensor("scores").scalars,
                threshold: try fixture.parameter("threshold"))
            let expected = try fixture.ints("keep")
            #expect(keep == expected, "\(label): first difference at \(firstDifference(keep, expected))")
        case "batched_nms":
            let keep = NonMaximumSuppression.batched(
                try fixture.boxes("boxes"), scores: try fixture.tensor("scores").scalars,
                groups: try fixture.ints("groups"),
                threshold: try fixture.parameter("threshold"))
            // torch.sort (unstable) orders equal scores arbitrarily in the per-group merge, so equal
            // scores may come in any order: same kept set, same score sequence.
            let expected = try fixture.ints("keep")
            let scores = try fixture.tensor("scores").scalars
            #expect(
                Set(keep) == Set(expected) && keep.map { scores[$0] } == expected.map { scores[$0] },
                "\(label): \(keep.count) kept vs \(expected.count), first difference at \(firstDifference(keep, expected))")
        case "roi_align":
            let output = RoIAlign.align(
                try fixture.tensor("feature"), boxes: try fixture.boxes("boxes"),
                spatialScale: Float(try fixture.parameter("spatial_scale", as: Double.self)),
                bins: try fixture.parameter("bins", as: Int.self),
                samplingRatio: try fixture.parameter("sampling_ratio", as: Int.self))
            expectClose(output, try fixture.tensor("expected"), atol: 1e-6, rtol: 1e-5, label)
        case "level_mapping":
            let heights: [Int] = try fixture.parameter("feature_heights")
            let (scales, mapper) = LevelMapper.scales(featureHeights: heights, imageHeight: try fixture.size("resized").height)
            #expect(scales == (try fixture.tensor("scales").scalars), "\(label): scales \(scales)")
            #expect(mapper == LevelMapper(kMin: try fixture.parameter("k_min"), kMax: try fixture.parameter("k_max")))
            let levels = try fixture.boxes("boxes").map(mapper.level(of:))
            let expected = try fixture.ints("levels")
            #expect(levels == expected, "\(label): first difference at \(firstDifference(levels, expected))")
        case "head":
            try checkHead(fixture, label: label)
        default:
            Issue.record("\(label): unknown op \(fixture.op)")
        }
    }

    static func smallHead(_ fixture: DetectionFixture) throws -> DetectionHead {
        let classes: Int = try fixture.parameter("num_classes")
        let head = LadonArchitecture.Detection(
            numClasses: classes, fpnChannels: try fixture.parameter("fpn_channels"),
            representationSize: try fixture.parameter("representation_size"),
            classNames: (0..<classes).map { "class\($0)" })
        let reader = WeightReader(file: fixture.file)
        let detection = try DetectionHead(
            reader: reader, prefix: "detection_head",
            inChannels: try fixture.parameter("in_channels"), head: head)
        let weights: [String] = try fixture.parameter("weights")
        #expect(Set(weights).isSubset(of: Set(fixture.file.entries.keys)))
        return detection
    }

    static func checkHead(_ fixture: DetectionFixture, label: String) throws {
        let head = try smallHead(fixture)
        let features = try (0..<4).map { try fixture.tensor("feature\($0)") }
        let trace = try head.trace(
            features, paddedSize: try fixture.size("padded"), resizedSize: try fixture.size("resized"),
            originalSize: try fixture.size("original"))
        #expect(trace.pyramid.count == 5)
        for (index, level) in trace.pyramid.enumerated() {
            expectClose(level, try fixture.tensor("pyramid\(index)"), atol: 1e-4, rtol: 1e-4, "\(label) pyramid \(index)")
        }
        // Deltas go through exp: a 1e-6 relative difference in the RPN output can move a large box by 1e-4 relative.
        // Saturated sigmoids tie, and torch's unstable sort orders ties arbitrarily: compare as sorted lists.
        func sorted(_ boxes: [Box]) -> Tensor {
            DetectionFixture.tensor(boxes.sorted { ($0.x1, $0.y1, $0.x2, $0.y2) < ($1.x1, $1.y1, $1.x2, $1.y2) })
        }
        expectClose(
            sorted(trace.proposals), sorted(try fixture.boxes("proposals")), atol: 1e-3, rtol: 2e-4,
            "\(label) proposals")
        let scores = try fixture.tensor("scores").scalars
        let labels = try fixture.ints("labels")
        let expected = try fixture.boxes("boxes").enumerated().map { i, box in
            Detection(box: box, label: labels[i], score: scores[i])
        }
        #expect(expected.count >= (try fixture.parameter("min_detections", as: Int.self)))
        let ours = matchedFraction(trace.detections, expected)
        let theirs = matchedFraction(expected, trace.detections)
        #expect(
            ours >= 0.99 && theirs >= 0.99,
            "\(label): \(trace.detections.count) detections vs \(expected.count); matched \(ours) / \(theirs)")
    }
}

func firstDifference(_ a: [Int], _ b: [Int]) -> String {
    guard let i = (0..<min(a.count, b.count)).first(where: { a[$0] != b[$0] }) ?? (a.count == b.count ? nil : min(a.count, b.count))
    else { return "none" }
    return "\(i): \(i < a.count ? String(a[i]) : "end") vs \(i < b.count ? String(b[i]) : "end")"
}
