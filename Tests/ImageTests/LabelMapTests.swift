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

    /// Upsampling inside the crop as the rows are needed gives the labels of upsampling whole first, bit for
    /// bit: the crop as large as the original, enlarged and shrunk, on logits with near ties, a NaN and an
    /// infinity (whose zero-weight blends make NaN in both).
    @Test(arguments: [
        (ImageSize(height: 24, width: 32), ImageSize(height: 21, width: 30), ImageSize(height: 21, width: 30)),
        (ImageSize(height: 24, width: 32), ImageSize(height: 24, width: 29), ImageSize(height: 61, width: 47)),
        (ImageSize(height: 40, width: 48), ImageSize(height: 37, width: 45), ImageSize(height: 13, width: 17)),
    ])
    func labelsFromLowResolutionLogitsEqualThoseOfTheUpsampledMap(
        _ padded: ImageSize, _ resized: ImageSize, _ original: ImageSize
    ) {
        let (classes, height, width) = (5, 6, 8)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var scalars = (0..<classes * height * width).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            // Few distinct values, so that classes often tie.
            return Float(Int(state >> 59)) / 8
        }
        scalars[17] = .nan
        scalars[2 * height * width + 30] = .infinity
        let logits = Tensor(shape: [1, classes, height, width], scalars: scalars)
        let upsampled = Resize.bilinear(logits, height: padded.height, width: padded.width)
        let expected = LabelMap.labels(upsampled, resized: resized, original: original)
        let labels = LabelMap.labels(upsampling: logits, to: padded, resized: resized, original: original)
        let mismatches = zip(labels, expected).filter { $0 != $1 }.count
        #expect(labels.count == expected.count && mismatches == 0, "\(mismatches) of \(expected.count) labels differ")
        #expect(Set(expected).count >= 3, "the case should show several classes")
    }
}
