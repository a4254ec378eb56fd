import Foundation
import Shared
import TestSupport
import Testing

@Suite struct JPEGDecodeTests {
    /// libjpeg-turbo here and the libjpeg-turbo bundled with PIL both run the integer DCT with fancy
    /// upsampling, so the pixels must be identical, not merely close.
    @Test(arguments: ImageFixture.names("jpeg"))
    func decodedPixelsEqualPILs(_ name: String) throws {
        let fixture = try ImageFixture(name)
        let image = try JPEG.decode(try fixture.bytes("jpeg"))
        #expect(image.size == ImageSize(height: try fixture.int("height"), width: try fixture.int("width")))
        #expect(image.channels == 3)
        let expected = try fixture.bytes("pixels")
        let worst = zip(image.pixels, expected).map { abs(Int($0) - Int($1)) }.max() ?? -1
        #expect(image.pixels.count == expected.count && worst == 0, "\(name): max pixel difference \(worst)")
    }

    /// USB cameras' MJPEG frames often leave out the Huffman tables (DHT) and rely on the standard ones of
    /// the JPEG specification; libjpeg-turbo supplies those. The fixture was written with the standard
    /// tables (not optimised), so without its DHT segments it must decode to the same pixels.
    @Test func aMotionJPEGFrameWithoutHuffmanTablesDecodesWithTheStandardOnes() throws {
        let jpeg = try FileIO.read(Fixtures.path("stream/strip-24x480.jpg"))
        var stripped: [UInt8] = Array(jpeg[0..<2])
        var index = 2
        var removed = 0
        while index + 4 <= jpeg.count, jpeg[index] == 0xFF {
            let marker = jpeg[index + 1]
            if marker == 0xDA {  // start of scan: the entropy-coded data follows
                stripped += jpeg[index...]
                break
            }
            let length = Int(jpeg[index + 2]) << 8 | Int(jpeg[index + 3])
            if marker == 0xC4 { removed += 1 } else { stripped += jpeg[index..<index + 2 + length] }
            index += 2 + length
        }
        #expect(removed > 0, "the fixture has Huffman tables to remove")
        let original = try JPEG.decode(jpeg)
        let decoded = try JPEG.decode(stripped)
        #expect(decoded.size == original.size)
        #expect(decoded.pixels == original.pixels)
    }

    @Test func emptyInputIsCorruptJPEG() {
        #expect(throws: ImageError.corruptJPEG(reason: "empty input")) { try JPEG.decode([]) }
    }

    @Test(arguments: [[UInt8](repeating: 0, count: 64), Array("not a jpeg at all".utf8), [0xFF, 0xD8], [0xFF, 0xD8, 0xFF]])
    func bytesThatAreNotAJPEGYieldCorruptJPEG(_ bytes: [UInt8]) {
        #expect(throws: ImageError.self) { try JPEG.decode(bytes) }
        do {
            _ = try JPEG.decode(bytes)
        } catch {
            guard case let .corruptJPEG(reason) = error else {
                Issue.record("got \(error)")
                return
            }
            #expect(!reason.isEmpty)
        }
    }

    @Test func aPNGHandedToTheJPEGDecoderIsCorruptJPEG() throws {
        let png = try ImageFixture("png_rgb_13x9").bytes("png")
        #expect { try JPEG.decode(png) } throws: { error in
            if case .corruptJPEG = error as? ImageError { return true }
            return false
        }
    }

    /// Cutting a JPEG anywhere before its last scan ends must fail: libjpeg would otherwise hand back a
    /// grey-padded image that the file never held.
    @Test(arguments: ["jpeg_420_131x97", "jpeg_progressive_420_45x27", "jpeg_grey_31x21"])
    func truncatedJPEGYieldsCorruptJPEGNotACrash(_ name: String) throws {
        let bytes = try ImageFixture(name).bytes("jpeg")
        for cut in stride(from: 0, to: bytes.count - 2, by: max(1, bytes.count / 97)) {
            do {
                let image = try JPEG.decode(Array(bytes[..<cut]))
                Issue.record("\(name) cut at \(cut) of \(bytes.count) decoded to \(image.size)")
            } catch {
                guard case .corruptJPEG = error else {
                    Issue.record("cut at \(cut): \(error)")
                    continue
                }
            }
        }
    }

    @Test func aCMYKJPEGIsUnsupportedNotCorrupt() throws {
        let bytes = try ImageFixture("cmyk_jpeg_8x8").bytes("jpeg")
        #expect { try JPEG.decode(bytes) } throws: { error in
            if case .unsupported = error as? ImageError { return true }
            return false
        }
    }

    @Test func aFrameOverThePixelLimitYieldsTooLarge() throws {
        let bytes = try ImageFixture("jpeg_420_131x97").bytes("jpeg")
        #expect(throws: ImageError.tooLarge(width: 131, height: 97, limit: 1000)) {
            try JPEG.decode(bytes, maximumPixels: 1000)
        }
    }

    /// Seeded byte flips, insertions and cuts of real JPEGs: every input either decodes or throws an
    /// ImageError; none crashes, hangs or prints.
    @Test func mutatedJPEGsNeverCrash() throws {
        let sources = try ["jpeg_420_odd_37x23", "jpeg_progressive_444_19x30", "jpeg_grey_31x21", "jpeg_444_29x17"]
            .map { try ImageFixture($0).bytes("jpeg") }
        var generator = SplitMix64(seed: 0x1ADC0)
        var (decoded, rejected) = (0, 0)
        for round in 0..<3000 {
            var bytes = sources[round % sources.count]
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                let at = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: bytes[at] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes[at] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
                case 2: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: at)
                default: bytes.removeSubrange(at...)
                }
                if bytes.isEmpty { break }
            }
            do {
                let image = try JPEG.decode(bytes, maximumPixels: 4_000_000)
                #expect(image.pixels.count == image.size.height * image.size.width * 3)
                decoded += 1
            } catch {
                rejected += 1
            }
        }
        // Both outcomes must occur, or the mutations are not reaching the decoder's interesting paths.
        #expect(decoded > 0 && rejected > 0, "decoded \(decoded), rejected \(rejected)")
    }

    @Test func errorDescriptionsAreOneLine() {
        let errors: [ImageError] = [
            .corruptJPEG(reason: "Not a JPEG file"), .corruptPNG(reason: "bad signature"),
            .unsupported(reason: "CMYK"), .tooLarge(width: 9, height: 9, limit: 1),
            .outOfMemory(width: 1, height: 1), .badPixels(reason: "empty"),
        ]
        for error in errors {
            #expect(!error.description.isEmpty && !error.description.contains("\n"), "\(error)")
        }
    }
}

@Suite struct PNGTests {
    @Test(arguments: ImageFixture.names("png"))
    func decodedPixelsEqualTheOnesPILWrote(_ name: String) throws {
        let fixture = try ImageFixture(name)
        let image = try PNG.decode(try fixture.bytes("png"))
        #expect(image.size == ImageSize(height: try fixture.int("height"), width: try fixture.int("width")))
        #expect(image.channels == (try fixture.int("channels")))
        #expect(image.pixels == (try fixture.bytes("pixels")))
    }

    @Test(arguments: [1, 3])
    func encodeThenDecodeGivesBackTheSamePixels(_ channels: Int) throws {
        var generator = SplitMix64(seed: UInt64(channels))
        let size = ImageSize(height: 19, width: 23)
        let pixels = (0..<size.height * size.width * channels).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let image = PixelImage(size: size, channels: channels, pixels: pixels)
        let encoded = try PNG.encode(image)
        #expect(Array(encoded.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(try PNG.decode(encoded) == image)
    }

    @Test func encodingAnEmptyOrTwoChannelImageIsRejected() {
        #expect(throws: ImageError.self) { try PNG.encode(PixelImage(size: ImageSize(height: 0, width: 4), channels: 1, pixels: [])) }
        #expect(throws: ImageError.self) { try PNG.encode(PixelImage(size: ImageSize(height: 1, width: 2), channels: 2, pixels: [0, 0, 0, 0])) }
    }

    @Test func truncatedOrForeignBytesYieldCorruptPNG() throws {
        let png = try ImageFixture("png_rgb_13x9").bytes("png")
        let jpeg = try ImageFixture("jpeg_444_29x17").bytes("jpeg")
        for bytes in [[], Array(png.prefix(30)), Array(png.prefix(png.count - 20)), jpeg] {
            #expect { try PNG.decode(bytes) } throws: { error in
                if case .corruptPNG = error as? ImageError { return true }
                return false
            }
        }
    }
}
