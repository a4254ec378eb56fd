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
    func ranksAbove(_ a: Int, _ b: Int) -> Bool {
        let (x, y) = (values[a], values[b])
        if x.isNaN || y.isNaN { return x.isNaN && (!y.isNaN || a < b) }
        return x > y || (x == y && a < b)
    }
    return Array(values.indices.sorted(by: ranksAbove).prefix(k))
}
