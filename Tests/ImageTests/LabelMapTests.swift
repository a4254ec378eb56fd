import Foundation
import Shared
import TestSupport
import Testing

/// `LabelMap` against the reference's crop → bilinear resize → argmax.
@Suite struct LabelMapTests {
    @Test(arguments: ImageFixture.names("labels"))
    func labelMapMatchesTheReference(_ name: String) throws {
        let fixture = try ImageFixture(name)
        let original = try fixture.size("original")
        let labels = LabelMap.labels(try fixture.tensor("logits"), resized: try fixture.size("resized"), original: original)
        let expected = try fixture.bytes("labels")
        #expect(labels.count == original.height * original.width)
        let mismatches = zip(labels, expected).filter { $0 != $1 }.count
        #expect(labels.count == expected.count && mismatches == 0, "\(name): \(mismatches) pixels differ")
    }

    /// Three classes on 1x1 maps (no neighbours to blend): all equal; a NaN in class 1; class 2 largest.
    @Test(arguments: [([1, 1, 1], 0), ([0, .nan, 5], 1), ([0, 0, 7], 2), ([.nan, .nan, 9], 0)] as [([Float], UInt8)])
    func tiesGoToTheFirstClassAndNaNWins(_ logits: [Float], _ expected: UInt8) {
        let one = ImageSize(height: 1, width: 1)
        #expect(LabelMap.labels(Tensor(shape: [1, 3, 1, 1], scalars: logits), resized: one, original: one) == [expected])
    }
}
