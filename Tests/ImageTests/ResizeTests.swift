import Foundation
import Shared
import TestSupport
import Testing

/// `Resize` against `F.interpolate` on the cases tools/make_image_fixtures.py writes.
@Suite struct ResizeTests {
    @Test(arguments: ImageFixture.names("bilinear"))
    func bilinearMatchesInterpolate(_ name: String) throws {
        let fixture = try ImageFixture(name)
        let input = try fixture.tensor("input")
        let expected = try fixture.tensor("expected")
        let output: Tensor
        if fixture.parameters["scale"] != nil {
            output = Resize.bilinear(input, scale: try fixture.double("scale"))
        } else {
            output = Resize.bilinear(input, height: expected.dim(2), width: expected.dim(3))
        }
        // Inputs are ~N(0, 9): 1e-6 is about two float ulps at their largest, where the order of PyTorch's
        // (possibly fused) multiply-adds shows.
        expectClose(output, expected, atol: 1e-6, rtol: 0, name)
    }

    @Test(arguments: ImageFixture.names("nearest"))
    func nearestMatchesInterpolateExactly(_ name: String) throws {
        let fixture = try ImageFixture(name)
        let expected = try fixture.tensor("expected")
        let output = Resize.nearest(try fixture.tensor("input"), height: expected.dim(2), width: expected.dim(3))
        expectClose(output, expected, atol: 0, rtol: 0, name)
    }

    /// The two paths the detection transform can take agree on the size PyTorch computes in double.
    @Test(arguments: [
        (ImageSize(height: 480, width: 640), 0.65, ImageSize(height: 312, width: 416)),
        (ImageSize(height: 97, width: 131), 416.0 / 131.0, ImageSize(height: 308, width: 416)),
        (ImageSize(height: 200, width: 1000), 0.416, ImageSize(height: 83, width: 416)),
    ])
    func scaledSizeTruncatesTheDoubleProduct(_ size: ImageSize, _ scale: Double, _ expected: ImageSize) {
        #expect(Resize.scaledSize(size, scale: scale) == expected)
    }

    @Test func aWindowReadsOnlyTheTopLeftOfEachPlane() {
        let x = Tensor(shape: [1, 2, 3, 4], scalars: (0..<24).map(Float.init))
        let window = Resize.bilinear(x, height: 2, width: 3, window: ImageSize(height: 2, width: 3))
        #expect(window.scalars == [0, 1, 2, 4, 5, 6, 12, 13, 14, 16, 17, 18])
    }
}
