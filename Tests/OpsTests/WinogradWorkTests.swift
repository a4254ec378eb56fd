import Shared
import Testing

/// The benchmark's effective GFLOP/s count a Winograd convolution as the direct convolution's work; its GFLOP/s
/// count the GEMMs' (one per transformed point, Cout x Cin x tiles each).
@Suite struct WinogradWorkTests {
    static func conv(_ cin: Int, _ cout: Int, kernel: Int, padding: Int) -> Conv2d {
        Conv2d(weight: Tensor(zeros: [cout, cin, kernel, kernel]), geometry: .init(padding: padding))
    }

    @Test func aLayer3ConvolutionCountsItsDirectWorkAndItsThirtySixPointGEMMs() throws {
        // 256 -> 256 on 20x26 takes F(4x4,3x3): 5 x 7 tiles of 4x4 outputs, 36 points each.
        let work = try #require(Self.conv(256, 256, kernel: 3, padding: 1).winogradWork(height: 20, width: 26))
        #expect(work.effective == 256 * 256 * 9 * 20 * 26)
        #expect(work.gemm == 36 * 256 * 256 * 35)
        #expect(work.gemm < work.effective)
    }

    @Test func theDecodersTwoByTwoConvolutionCountsItsFiveByFiveTiles() throws {
        // 512 -> 256, 2x2 unpadded on 80x104 -> 79x103 outputs: F(5x5,2x2), 16 x 21 tiles of 36 points.
        let work = try #require(Self.conv(512, 256, kernel: 2, padding: 0).winogradWork(height: 80, width: 104))
        #expect(work.effective == 256 * 512 * 4 * 79 * 103)
        #expect(work.gemm == 36 * 256 * 512 * 16 * 21)
    }

    @Test func aConvolutionAutomaticRunsByIm2colHasNoWinogradWork() {
        // Too few tiles (2 x 2 of 4x4 on a 5x7 map), and a 1x1 convolution.
        #expect(Self.conv(256, 256, kernel: 3, padding: 1).winogradWork(height: 5, width: 7) == nil)
        #expect(Self.conv(256, 256, kernel: 1, padding: 0).winogradWork(height: 40, width: 52) == nil)
    }
}
