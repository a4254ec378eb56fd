import Shared
import TestSupport
import Testing

/// ASPP's branches computed together (stacked centre taps, off-centre taps on the rectangles where they read
/// inside the map) give what the branches give one by one, concatenated, with the pooled part broadcast.
@Suite(.serialized) struct AtrousBranchesTests {
    /// Deterministic values in [-1, 1).
    static func tensor(_ shape: [Int], seed: UInt64) -> Tensor {
        var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let count = shape.reduce(1, *)
        let scalars = (0..<count).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2048) / 1024 - 1
        }
        return Tensor(shape: shape, scalars: scalars)
    }

    /// A 1x1 branch and one dilated 3x3 branch per rate, ReLU after each, as DeepLab's ASPP has them.
    static func branches(inChannels: Int, width: Int, rates: [Int]) -> [Conv2d] {
        var convs = [
            Conv2d(
                weight: tensor([width, inChannels, 1, 1], seed: 1), bias: tensor([width], seed: 2), activation: .relu)
        ]
        for (index, rate) in rates.enumerated() {
            convs.append(
                Conv2d(
                    weight: tensor([width, inChannels, 3, 3], seed: UInt64(10 + index)),
                    bias: tensor([width], seed: UInt64(20 + index)), geometry: .init(padding: rate, dilation: rate),
                    activation: .relu))
        }
        return convs
    }

    static func oneByOne(_ convs: [Conv2d], _ input: Tensor, pooled: Tensor) -> Tensor {
        var parts = convs.map { $0(input, algorithm: .gemm) }
        parts.append(pooled.broadcastSpatially(height: input.dim(2), width: input.dim(3)))
        return Tensor.concatenateChannels(parts)
    }

    /// Map sizes where the dilated taps read: everywhere (rate 1), partly (the rest), only one column (13 wide,
    /// rate 12: DeepLab's official layer4 map) or nowhere (rates 24 and 36 there).
    @Test(arguments: [
        (rates: [1, 2, 3], height: 9, width: 11, images: 1),
        (rates: [2, 4, 6], height: 8, width: 10, images: 2),
        (rates: [12, 24, 36], height: 10, width: 13, images: 1),
        (rates: [3, 5, 7], height: 4, width: 17, images: 1),
    ])
    func theBranchesTogetherGiveTheBranchesOneByOne(rates: [Int], height: Int, width: Int, images: Int) {
        let previous = Compute.threads
        defer { Compute.setThreads(previous) }
        let convs = Self.branches(inChannels: 24, width: 8, rates: rates)
        let input = Self.tensor([images, 24, height, width], seed: 99)
        let pooled = Self.tensor([images, 8, 1, 1], seed: 98)
        let expected = Self.oneByOne(convs, input, pooled: pooled)
        for threads in [2, 1] {
            Compute.setThreads(threads)
            let together = AtrousBranches(convs)(input, followedBy: pooled)
            expectClose(together, expected, atol: 2e-5, rtol: 1e-4, "rates \(rates) on \(height)x\(width), \(threads) threads")
        }
    }

    @Test func onTheOfficialMapOnlyTheCentreTapsAndTwoColumnsOfTheRateTwelveTapsAreMultiplied() {
        let branches = AtrousBranches(Self.branches(inChannels: 16, width: 4, rates: [12, 24, 36]))
        // Four centre taps over all 130 pixels; the rate-12 taps left and right reach inside for one column of ten rows.
        #expect(branches.multiplyAccumulates(height: 10, width: 13) == 4 * 4 * 16 * 130 + 2 * 4 * 16 * 10)
        // On a map larger than every rate, each of the 24 off-centre taps reads inside on (40 − |dy|) x (40 − |dx|).
        var offCentre = 0
        for rate in [12, 24, 36] {
            for dy in [-rate, 0, rate] {
                for dx in [-rate, 0, rate] where (dy, dx) != (0, 0) { offCentre += (40 - abs(dy)) * (40 - abs(dx)) }
            }
        }
        #expect(branches.multiplyAccumulates(height: 40, width: 40) == 4 * 16 * (4 * 1600 + offCentre))
    }
}
