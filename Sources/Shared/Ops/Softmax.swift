import Foundation

/// Numerically stable softmax of a vector, as `torch.softmax` computes it (subtract the max, exp, divide).
public func softmax(_ logits: [Float]) -> [Float] {
    guard let maximum = logits.max() else { return [] }
    let exps = logits.map { Foundation.exp($0 - maximum) }
    let total = exps.reduce(0, +)
    return exps.map { $0 / total }
}

/// Indices of the k largest values, largest first; ties keep the lower index first, as `torch.topk` does on CPU.
public func topK(_ values: [Float], k: Int) -> [Int] {
    Array(values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }.prefix(k))
}
