import Foundation
import Shared
import TestSupport

/// One case written by tools/make_image_fixtures.py, its parameters in the "case" metadata.
struct ImageFixture {
    struct BadCase: Error, CustomStringConvertible {
        let description: String
    }

    let name: String
    let file: SafeTensorsFile
    let parameters: [String: Any]

    static func names(_ kind: String) -> [String] {
        Fixtures.cases(in: "image").filter { $0.hasPrefix(kind + "_") }
    }

    init(_ name: String) throws {
        (file, parameters) = try Fixtures.open("image", name)
        self.name = name
    }

    func tensor(_ key: String) throws -> Tensor { try file.tensor(key) }
    func bytes(_ key: String) throws -> [UInt8] { try file.uint8s(key) }

    func int(_ key: String) throws -> Int {
        guard let value = parameters[key] as? Int else { throw BadCase(description: "\(name): no integer '\(key)'") }
        return value
    }

    func double(_ key: String) throws -> Double {
        guard let value = parameters[key] as? Double else { throw BadCase(description: "\(name): no number '\(key)'") }
        return value
    }

    func floats(_ key: String) throws -> [Float] {
        guard let value = parameters[key] as? [Double] else { throw BadCase(description: "\(name): no numbers '\(key)'") }
        return value.map(Float.init)
    }

    func size(_ key: String) throws -> ImageSize {
        guard let value = parameters[key] as? [Int], value.count == 2 else {
            throw BadCase(description: "\(name): no size '\(key)'")
        }
        return ImageSize(height: value[0], width: value[1])
    }

    func preprocessConfig() throws -> LadonArchitecture.Preprocess {
        LadonArchitecture.Preprocess(
            minSize: try int("min_size"), maxSize: try int("max_size"),
            sizeDivisible: try int("size_divisible"), mean: try floats("mean"),
            std: try floats("std"))
    }
}

/// The generated frame of the preprocessing cases; mirrors `synthetic_pixels` in tools/make_image_fixtures.py.
func syntheticPixels(height: Int, width: Int) -> PixelImage {
    var pixels = [UInt8](repeating: 0, count: height * width * 3)
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<3 {
                let (ux, uy, uc) = (UInt32(x), UInt32(y), UInt32(c))
                let h = ux &* 2_654_435_761 &+ uy &* 40503 &+ uc &* 9973
                pixels[(y * width + x) * 3 + c] = UInt8(((h >> 13) & 63) + (ux + 2 * uy + 50 * uc) % 192)
            }
        }
    }
    return PixelImage(size: ImageSize(height: height, width: width), channels: 3, pixels: pixels)
}

/// Largest |a − b| after checking shapes.
func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "shapes \(a.shape) and \(b.shape)")
    return zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
