import Foundation

/// Numerically stable softmax of a vector, as `torch.softmax` computes it (subtract the max, exp, divide).
public func softmax(_ logits: [Float]) -> [Float] {
    guard let maximum = logits.max() else { return [] }
    let exps = logits.map { Foundation.exp($0 - maximum) }
    let total = exps.reduce(0, +)
    return exps.map { $0 / total }
}

/// Indices of the k largest values, largest first, with the same values as `torch.topk`.
///
/// Equal values keep the lower index first: `torch.argmax` does so, and `torch.sort(stable=True)`;
/// `torch.topk` leaves their order unspecified. NaN ranks above every number, as in all three.
public func topK(_ values: [Float], k: Int) -> [Int] {
    let k = max(0, min(k, values.count))
    // A strict total order (ties go to the lower index), so the k best are one set whatever finds them.
    func ranksAbove(_ a: Int, _ b: Int) -> Bool {
        let (x, y) = (values[a], values[b])
        if x.isNaN || y.isNaN { return x.isNaN && (!y.isNaN || a < b) }
        return x > y || (x == y && a < b)
    }
    var indices = Array(values.indices)
    // Few of many (the RPN keeps 1000 of up to ~60,000 anchors per level): select the k first, then sort only them.
    if k < values.count / 4 {
        selectFirst(k, of: &indices, by: ranksAbove)
        return indices[0..<k].sorted(by: ranksAbove)
    }
    return Array(indices.sorted(by: ranksAbove).prefix(k))
}

/// Reorders `items` so that its first `k` are the k that rank first under `ranksAbove` (a strict total order),
/// in no particular order: quickselect with a median-of-three pivot, sorting what is left if it keeps choosing
/// poor pivots, so no input makes it quadratic.
func selectFirst(_ k: Int, of items: inout [Int], by ranksAbove: (Int, Int) -> Bool) {
    guard k > 0, k < items.count else { return }
    var (low, high) = (0, items.count - 1)
    var budget = 2 * (Int.bitWidth - items.count.leadingZeroBitCount)
    while low < high {
        if budget == 0 {
            items[low...high].sort(by: ranksAbove)
            return
        }
        budget -= 1
        let middle = low + (high - low) / 2
        // The median of the first, middle and last item as the pivot, moved to `high`.
        if ranksAbove(items[middle], items[low]) { items.swapAt(middle, low) }
        if ranksAbove(items[high], items[low]) { items.swapAt(high, low) }
        if ranksAbove(items[middle], items[high]) { items.swapAt(middle, high) }
        let pivot = items[high]
        var store = low
        for index in low..<high where ranksAbove(items[index], pivot) {
            items.swapAt(index, store)
            store += 1
        }
        items.swapAt(store, high)
        // items[low..<store] rank above the pivot, now at `store`; the rest below it.
        if store == k || store == k - 1 { return }
        if store > k { high = store - 1 } else { low = store + 1 }
    }
}
