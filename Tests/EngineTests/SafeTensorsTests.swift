import Foundation
import Shared
import TestSupport
import Testing

@Suite struct SafeTensorsTests {
    /// `u64 length | header | data`, the length as given (it may lie).
    static func file(header: String, length: UInt64? = nil, data: [UInt8] = []) -> [UInt8] {
        let json = Array(header.utf8)
        return withUnsafeBytes(of: (length ?? UInt64(json.count)).littleEndian, Array.init) + json + data
    }

    static func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "ladon-safetensors-\(UUID().uuidString).safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func truncatedFileIsReportedWithItsSize() throws {
        let path = try Self.temporaryFile([1, 2, 3])
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: WeightsError.truncated(path: path, needed: 8, size: 3)) { try SafeTensorsFile(path: path) }
    }

    @Test func aHeaderLengthBeyondTheFileIsRefusedNamingThePathAndBothSizes() throws {
        let bytes = Self.file(header: "{}", length: 5000)
        let path = try Self.temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: WeightsError.truncated(path: path, needed: 5008, size: 10)) { try SafeTensorsFile(path: path) }
        #expect("\(WeightsError.truncated(path: path, needed: 5008, size: 10))" == "weights file \(path) is truncated: needs 5008 bytes, has 10")
    }

    @Test(arguments: [UInt64(SafeTensorsFile.maximumHeaderBytes) + 1, 1 << 40, 1 << 63, .max, 0, 1])
    func aHeaderLengthAboveTheCapOrBelowTwoIsRefusedNamingTheLength(length: UInt64) throws {
        // 2^63 and more trapped converting to Int before.
        let bytes = Self.file(header: "{}", length: length)
        let reason = "header length \(length) is implausible (at most \(SafeTensorsFile.maximumHeaderBytes))"
        #expect(throws: WeightsError.badHeader(path: "hostile.safetensors", reason: reason)) {
            try SafeTensorsFile(bytes: bytes, name: "hostile.safetensors")
        }
    }

    @Test func aTensorEndingBeyondTheDataIsRefusedBeforeAnyTensorIsRead() {
        let bytes = Self.file(header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: [UInt8](repeating: 0, count: 12))
        #expect(throws: WeightsError.truncated(path: "w.safetensors", needed: bytes.count + 4, size: bytes.count)) {
            try SafeTensorsFile(bytes: bytes, name: "w.safetensors")
        }
    }

    @Test(
        arguments: [
            // The element count overflows Int: it trapped before.
            (
                #"{"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]}}"#,
                "entry 'w' has an impossible shape [4294967296, 4294967296, 4]"
            ),
            (#"{"w":{"dtype":"F64","shape":[1152921504606846976],"data_offsets":[0,8]}}"#, "entry 'w' has an impossible shape [1152921504606846976]"),
            (#"{"w":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}}"#, "entry 'w' has an impossible shape [-1, -4]"),
            (#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}"#, "entry 'w' byte range [0, 12] does not match its shape [2]"),
            (#"{"w":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}}"#, "entry 'w' byte range [8, 0] does not match its shape [0]"),
            // The end minus the start overflowed before.
            (
                #"{"w":{"dtype":"U8","shape":[1],"data_offsets":[1,-9223372036854775808]}}"#,
                "entry 'w' byte range [1, -9223372036854775808] does not match its shape [1]"
            ),
            // A range the shape agrees with that ends past any file: computing the size it needs overflowed.
            (
                #"{"w":{"dtype":"U8","shape":[9223372036854775807],"data_offsets":[0,9223372036854775807]}}"#,
                "entry 'w' ends at byte 9223372036854775807, beyond any file"
            ),
            (#"{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}"#, "entry 'w' has unsupported dtype Q4"),
            (#"{"w":{"dtype":"F32","shape":[1]}}"#, "entry 'w' lacks dtype, shape or data_offsets"),
            (#"{"__metadata__":{"n":3}}"#, "__metadata__ is not a map of strings"),
            (#"[1,2]"#, "header is not a JSON object"),
        ])
    func anEntryWhoseShapeOrOffsetsDoNotFitIsRefusedNamingIt(header: String, reason: String) {
        #expect(throws: WeightsError.badHeader(path: "h.safetensors", reason: reason)) {
            try SafeTensorsFile(bytes: Self.file(header: header, data: [UInt8](repeating: 0, count: 16)), name: "h.safetensors")
        }
    }

    @Test func bytesInMemoryParseAsTheMappedFileDoes() throws {
        let path = Fixtures.path("model/tiny.safetensors")
        let mapped = try SafeTensorsFile(path: path)
        let copied = try SafeTensorsFile(bytes: try FileIO.read(path), name: path)
        #expect(copied.entries == mapped.entries && copied.metadata == mapped.metadata)
        let key = try #require(mapped.entries.keys.sorted().first { mapped.entries[$0]?.dtype == "F32" })
        #expect(try copied.tensor(key).scalars == mapped.tensor(key).scalars)
        #expect(throws: WeightsError.truncated(path: "empty", needed: 8, size: 0)) { try SafeTensorsFile(bytes: [], name: "empty") }
    }
}
