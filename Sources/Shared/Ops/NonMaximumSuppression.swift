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
    static func suppress(_ boxes: [Box], order: [Int], threshold: Double) -> [Int] {
        let count = order.count
        var sorted = [Box]()
        var areas = [Float]()
        sorted.reserveCapacity(count)
        areas.reserveCapacity(count)
        for index in order {
            sorted.append(boxes[index])
            areas.append(boxes[index].area)
        }
        var suppressed = [Bool](repeating: false, count: count)
        var kept: [Int] = []
        sorted.withUnsafeBufferPointer { box in
            areas.withUnsafeBufferPointer { area in
                suppressed.withUnsafeMutableBufferPointer { gone in
                    for i in 0..<count where !gone[i] {
                        kept.append(order[i])
                        let (a, areaA) = (box[i], area[i])
                        for j in (i + 1)..<max(i + 1, count) where !gone[j] {
                            let iou = Box.overlap(a, areaA, box[j], area[j])
                            if Double(iou) > threshold { gone[j] = true }
                        }
                    }
                }
            }
        }
        return kept
    }
}
