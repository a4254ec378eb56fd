import Shared
import Testing

/// The JPEG decoder's limits: a header's size and a file's scan count are refused from what the file
/// says, before the work or memory they would cost.
@Suite struct JPEGLimitTests {
    /// SOI, a baseline SOF0 for three components, one SOS and EOI: a header with no tables and no image
    /// data, which libjpeg reads up to the SOS; decoding it would fail at the missing tables.
    static func headerOnlyJPEG(width: Int, height: Int) -> [UInt8] {
        let sof: [UInt8] = [
            0xFF, 0xC0, 0x00, 0x11, 0x08, UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF), 0x03,
            0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
        ]
        let sos: [UInt8] = [0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3F, 0x00]
        return [0xFF, 0xD8] + sof + sos + [0x00, 0x00, 0xFF, 0xD9]
    }

    @Test func aHeaderClaiming60000x60000PixelsIsRefusedBeforeDecoding() {
        // 51 bytes asking for 3.6 gigapixels: refused from the SOF, not by running out of memory or data.
        #expect(throws: ImageError.tooLarge(width: 60000, height: 60000, limit: PixelImage.defaultMaximumPixels)) {
            try JPEG.decode(Self.headerOnlyJPEG(width: 60000, height: 60000))
        }
    }

    @Test func theSameHeaderWithinThePixelLimitGetsAsFarAsItsMissingTables() {
        // The size check reads the header's numbers: below the limit, decoding starts and fails on the
        // tables the file lacks, which is what proves the refusal above came first.
        #expect { try JPEG.decode(Self.headerOnlyJPEG(width: 64, height: 48)) } throws: { error in
            guard case let .corruptJPEG(reason) = error as? ImageError else { return false }
            return reason.contains("table")
        }
    }

    /// The progressive fixture with `copies` more copies of its first scan right after it. libjpeg takes
    /// a repeated scan as a (tolerated) bogus progression: the DC scan sets the same coefficients again,
    /// so the pixels are the original's.
    static func withRepeatedFirstScan(_ copies: Int) throws -> (bytes: [UInt8], scans: Int, original: [UInt8]) {
        let original = try ImageFixture("jpeg_progressive_444_19x30").bytes("jpeg")
        let scans = try #require(JPEGScans(original))
        let first = scans.ranges[0]
        let repeated =
            Array(original[..<first.upperBound]) + Array(repeating: original[first], count: copies).flatMap { $0 }
            + Array(original[first.upperBound...])
        return (repeated, scans.ranges.count + copies, original)
    }

    @Test func aProgressiveJPEGWithThousandsOfScansIsRefusedBeforeDecoding() throws {
        let (bomb, scans, _) = try Self.withRepeatedFirstScan(3000)
        #expect(scans > 3000)
        // Refused on reaching scan 257, not after reading all of them.
        #expect(throws: ImageError.tooManyScans(reached: JPEG.defaultMaximumScans + 1, limit: JPEG.defaultMaximumScans)) {
            try JPEG.decode(bomb)
        }
    }

    @Test func aProgressiveJPEGWithExactlyTheLimitOfScansStillDecodesToTheSamePixels() throws {
        let (original, scans, _) = try Self.withRepeatedFirstScan(0)
        let (atLimit, count, _) = try Self.withRepeatedFirstScan(JPEG.defaultMaximumScans - scans)
        #expect(count == JPEG.defaultMaximumScans)
        #expect(try JPEG.decode(atLimit) == JPEG.decode(original))
        let (overLimit, _, _) = try Self.withRepeatedFirstScan(JPEG.defaultMaximumScans - scans + 1)
        #expect(throws: ImageError.tooManyScans(reached: 257, limit: 256)) { try JPEG.decode(overLimit) }
    }

    @Test func theScanLimitIsTheCallersAndANormalProgressiveFileHasAFewScans() throws {
        let (original, scans, _) = try Self.withRepeatedFirstScan(0)
        #expect((2...20).contains(scans), "the fixture has \(scans) scans")
        #expect(throws: ImageError.tooManyScans(reached: 3, limit: 2)) { try JPEG.decode(original, maximumScans: 2) }
        _ = try JPEG.decode(original, maximumScans: scans)
    }

    @Test func theScanLimitErrorNamesTheScanReachedAndTheLimit() {
        #expect(ImageError.tooManyScans(reached: 257, limit: 256).description == "JPEG reaches scan 257, over the limit of 256 scans")
    }
}

/// Where a JPEG's scans are: each range runs from an SOS marker to the end of its entropy-coded data
/// (the next marker that is neither a stuffed 0xFF00 nor a restart marker).
struct JPEGScans {
    var ranges: [Range<Int>] = []

    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return nil }
        var index = 2
        while index + 4 <= bytes.count, bytes[index] == 0xFF {
            let marker = bytes[index + 1]
            if marker == 0xD9 { return }
            let length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            guard marker == 0xDA else {
                index += 2 + length
                continue
            }
            var end = index + 2 + length
            while end + 1 < bytes.count, bytes[end] != 0xFF || bytes[end + 1] == 0x00 || (0xD0...0xD7).contains(bytes[end + 1]) {
                end += bytes[end] == 0xFF ? 2 : 1
            }
            ranges.append(index..<end)
            index = end
        }
        if ranges.isEmpty { return nil }
    }
}
