import Shared
import TestSupport
import Testing

@Suite struct SegmentationMapTests {
    @Test func runsAreLabelThenVarintLengthInRowMajorOrder() {
        let map = SegmentationMap(size: ImageSize(height: 2, width: 3), labels: [4, 4, 4, 4, 0, 9], classNames: [])
        #expect(map.runLengthEncoded() == [4, 4, 0, 1, 9, 1])
        // 300 pixels of one label: the run length needs two varint bytes (300 = 0b10_0101100).
        let flat = SegmentationMap(size: ImageSize(height: 10, width: 30), labels: .init(repeating: 2, count: 300), classNames: [])
        #expect(flat.runLengthEncoded() == [2, 0xAC, 0x02])
    }

    @Test func randomMapsSurviveTheRoundTrip() throws {
        var generator = SplitMix64(seed: 5)
        for _ in 0..<50 {
            let size = ImageSize(height: 1 + Int(generator.next() % 40), width: 1 + Int(generator.next() % 300))
            var labels: [UInt8] = []
            while labels.count < size.height * size.width {
                let run = 1 + Int(generator.next() % 400)
                labels += repeatElement(UInt8(generator.next() % 21), count: min(run, size.height * size.width - labels.count))
            }
            let map = SegmentationMap(size: size, labels: labels, classNames: (0..<21).map { "c\($0)" })
            #expect(try SegmentationMap(runLengthEncoded: map.runLengthEncoded(), size: size, classNames: map.classNames) == map)
        }
    }

    @Test(
        arguments: [
            ([7, 4], ["a", "b"], "label 7 with 2 class names"),
            ([0, 3], [], "runs cover 3 of 4 pixels"),
            ([0, 5], [], "runs cover more than the 4 pixels of a 2x2 map"),
            ([0, 0, 0, 4], [], "empty run at byte 2"),
            ([0, 0x84], [], "run length cut off at byte 2"),
            ([0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], [], "run length over 5 bytes at byte 6"),
        ] as [([UInt8], [String], String)])
    func inconsistentRunsAreRejectedWithTheReason(data: [UInt8], names: [String], reason: String) {
        #expect(throws: WireError.invalidField(message: "Segmentation", field: "data", reason: reason)) {
            try SegmentationMap(runLengthEncoded: data, size: ImageSize(height: 2, width: 2), classNames: names)
        }
    }

    @Test func hugeDimensionsAreRefusedBeforeAllocating() {
        #expect(
            throws: WireError.invalidField(
                message: "Segmentation", field: "height",
                reason: "100000x100000 is over the \(SegmentationMap.maximumPixels)-pixel limit")
        ) {
            try SegmentationMap(runLengthEncoded: [0, 1], size: ImageSize(height: 100_000, width: 100_000), classNames: [])
        }
    }

    @Test func mutatedRunsNeverCrashTheDecoder() {
        let labels = (0..<600).map { UInt8(($0 / 37) % 5) }
        let map = SegmentationMap(size: ImageSize(height: 20, width: 30), labels: labels, classNames: ["a", "b", "c", "d", "e"])
        let outcomes = mutationFuzz(map.runLengthEncoded(), seed: 31) {
            (try? SegmentationMap(runLengthEncoded: $0, size: map.size, classNames: map.classNames)) != nil
        }
        #expect(outcomes.rejected > 10_000, "nearly every corruption breaks the pixel count, got \(outcomes)")
    }
}
