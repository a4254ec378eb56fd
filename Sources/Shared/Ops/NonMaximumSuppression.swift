/// torchvision's CPU `nms` and `batched_nms`.
///
/// `nms`: visit boxes by score, highest first (equal scores keep their input order, as the stable sort
/// in torchvision's kernel does); keep a box unless an earlier kept box overlaps it with IoU > threshold
/// (compared in double, as the kernel's `double iou_threshold`). Areas are computed once; IoU is NaN for
/// two empty boxes, which never suppresses.
public enum NonMaximumSuppression {
    /// Indices of the kept boxes, highest score first.
    public static func nms(_ boxes: [Box], scores: [Float], threshold: Double) -> [Int] {
        precondition(boxes.count == scores.count, "nms: \(boxes.count) boxes, \(scores.count) scores")
        return suppress(boxes, order: sortedByScore(scores, indices: Array(boxes.indices)), threshold: threshold)
    }

    /// `batched_nms`: NMS within each group (class or level) only. Like torchvision, more than 1000 boxes go
    /// through one NMS per group merged by score; fewer go through one NMS over boxes shifted apart by
    /// group · (max coordinate + 1), whose rounding the shift can change, so both paths are reproduced.
    public static func batched(_ boxes: [Box], scores: [Float], groups: [Int], threshold: Double) -> [Int] {
        precondition(boxes.count == scores.count && boxes.count == groups.count, "batched nms: counts differ")
        guard !boxes.isEmpty else { return [] }
        if boxes.count * 4 > 4000 {
            var members: [Int: [Int]] = [:]
            for (index, group) in groups.enumerated() { members[group, default: []].append(index) }
            // The groups are independent (the RPN's five levels, about 1000 boxes each): threads take runs of them.
            let parts = members.keys.sorted().map { members[$0] ?? [] }
            var keptPerPart = [[Int]](repeating: [], count: parts.count)
            keptPerPart.withUnsafeMutableBufferPointer { slots in
                Compute.parallelFor(parts.count) { range in
                    for part in range {
                        slots[part] = suppress(boxes, order: sortedByScore(scores, indices: parts[part]), threshold: threshold)
                    }
                }
            }
            var kept = keptPerPart.flatMap { $0 }
            kept.sort()
            return sortedByScore(scores, indices: kept)
        }
        var maximum = -Float.infinity
        for box in boxes { maximum = max(maximum, box.x1, box.y1, box.x2, box.y2) }
        let spacing = maximum + 1
        let shifted = boxes.indices.map { index -> Box in
            let offset = Float(groups[index]) * spacing
            let box = boxes[index]
            return Box(x1: box.x1 + offset, y1: box.y1 + offset, x2: box.x2 + offset, y2: box.y2 + offset)
        }
        return nms(shifted, scores: scores, threshold: threshold)
    }

    /// `indices` ordered by descending score, NaN first, ties in the order given (a stable sort).
    static func sortedByScore(_ scores: [Float], indices: [Int]) -> [Int] {
        let ranked = indices.enumerated().sorted { a, b in
            let (x, y) = (scores[a.element], scores[b.element])
            // torch.sort puts NaN above every number when descending.
            if x.isNaN != y.isNaN { return x.isNaN }
            if x != y && !x.isNaN { return x > y }
            return a.offset < b.offset
        }
        return ranked.map(\.element)
    }

    /// Greedy suppression over `order`; returns kept indices in visiting order.
    ///
    /// Each kept box is compared with the boxes after it eight at a time (structure-of-arrays lanes), with the
    /// scalar `Box.overlap`'s operations in its order and Swift's `min`/`max` choices, so every IoU is the same
    /// float; `Double(iou) > threshold` becomes `iou > suppressionCut(threshold)`, the same test in float. Lanes
    /// before the next unvisited box may be marked too: they are never read again. Scalar, the RPN's five
    /// levels of about 1000 proposals took about 6 ms a frame.
    static func suppress(_ boxes: [Box], order: [Int], threshold: Double) -> [Int] {
        let count = order.count
        let lanes = (count + 7) / 8 * 8
        // Padding lanes are zero-area boxes at the origin: their IoU is 0 or NaN and never suppresses.
        var coordinates = [Float](repeating: 0, count: 5 * lanes)
        for (rank, index) in order.enumerated() {
            let box = boxes[index]
            (coordinates[rank], coordinates[lanes + rank]) = (box.x1, box.y1)
            (coordinates[2 * lanes + rank], coordinates[3 * lanes + rank]) = (box.x2, box.y2)
            coordinates[4 * lanes + rank] = box.area
        }
        let cut = suppressionCut(threshold)
        var suppressed = [Int32](repeating: 0, count: lanes)
        var kept: [Int] = []
        coordinates.withUnsafeBufferPointer { columns in
            suppressed.withUnsafeMutableBufferPointer { gone in
                let base = columns.baseAddress!
                let (x1, y1, x2, y2, area) = (base, base + lanes, base + 2 * lanes, base + 3 * lanes, base + 4 * lanes)
                @inline(__always) func load(_ column: UnsafePointer<Float>, _ j: Int) -> SIMD8<Float> {
                    UnsafeRawPointer(column + j).loadUnaligned(as: SIMD8<Float>.self)
                }
                for i in 0..<count where gone[i] == 0 {
                    kept.append(order[i])
                    let (ax1, ay1, ax2, ay2) = (SIMD8(repeating: x1[i]), SIMD8(repeating: y1[i]), SIMD8(repeating: x2[i]), SIMD8(repeating: y2[i]))
                    let areaA = SIMD8(repeating: area[i])
                    for j in Swift.stride(from: (i + 1) / 8 * 8, to: lanes, by: 8) {
                        let (bx1, by1, bx2, by2) = (load(x1, j), load(y1, j), load(x2, j), load(y2, j))
                        let w = Self.atLeastZero(Self.minimum(ax2, bx2) - Self.maximum(ax1, bx1))
                        let h = Self.atLeastZero(Self.minimum(ay2, by2) - Self.maximum(ay1, by1))
                        let intersection = w * h
                        let iou = intersection / (areaA + load(area, j) - intersection)
                        let flags = UnsafeMutableRawPointer(gone.baseAddress! + j)
                        let marked = flags.loadUnaligned(as: SIMD8<Int32>.self)
                        flags.storeBytes(of: marked.replacing(with: 1, where: iou .> cut), as: SIMD8<Int32>.self)
                    }
                }
            }
        }
        return kept
    }

    /// The float c for which `iou > c` exactly when `Double(iou) > threshold`: the nearest float to the
    /// threshold, or the one below it where that float lies above the threshold.
    static func suppressionCut(_ threshold: Double) -> Float {
        let nearest = Float(threshold)
        return Double(nearest) > threshold ? nearest.nextDown : nearest
    }

    /// Swift's `min(a, b)` per lane: b where b < a, else a.
    @inline(__always)
    private static func minimum(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .< a) }

    /// Swift's `max(a, b)` per lane: b where b >= a, else a.
    @inline(__always)
    private static func maximum(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .>= a) }

    /// Swift's `max(0, x)` per lane: x where x >= 0, else 0 (NaN becomes 0).
    @inline(__always)
    private static func atLeastZero(_ x: SIMD8<Float>) -> SIMD8<Float> { SIMD8(repeating: 0).replacing(with: x, where: x .>= 0) }
}
