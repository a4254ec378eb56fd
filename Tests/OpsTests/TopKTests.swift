import Shared
import Testing

/// `topK` selects before it sorts when it keeps few of many; the answer must be the full sort's first k.
@Suite struct TopKTests {
    /// The full sort's order: larger first, NaN above every number, ties to the lower index.
    static func sortedPrefix(_ values: [Float], _ k: Int) -> [Int] {
        Array(
            values.indices.sorted { a, b in
                let (x, y) = (values[a], values[b])
                if x.isNaN != y.isNaN { return x.isNaN }
                if x != y && !x.isNaN { return x > y }
                return a < b
            }.prefix(k))
    }

    static func values(count: Int, distinct: UInt64, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { index in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            if index % 97 == 13 { return .nan }
            return Float((state >> 33) % distinct) - Float(distinct / 2)
        }
    }

    @Test(arguments: [(5000, 1000), (5000, 1), (4000, 999), (60_000, 1000), (300, 5)])
    func selectingFirstGivesTheFullSortsFirstK(_ count: Int, _ k: Int) {
        // Many ties (7 distinct values) and few (2^20), so both the tie order and the selection are exercised.
        for distinct: UInt64 in [7, 1 << 20] {
            let values = Self.values(count: count, distinct: distinct, seed: UInt64(count * 31 + k))
            #expect(topK(values, k: k) == Self.sortedPrefix(values, k), "\(count) values, k \(k), \(distinct) distinct")
        }
    }

    /// Already sorted, reversed and constant inputs are where a careless pivot goes quadratic or wrong.
    @Test func orderedAndConstantInputsGiveTheSameFirstK() {
        let ascending = (0..<20_000).map(Float.init)
        for values in [ascending, Array(ascending.reversed()), [Float](repeating: 3, count: 20_000)] {
            #expect(topK(values, k: 1000) == Self.sortedPrefix(values, 1000))
        }
    }
}
