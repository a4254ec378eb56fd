import Foundation

/// A parsed safetensors file (see docs/model-format.md): `u64 N | N bytes JSON header | data`.
///
/// The file is memory-mapped; tensors are copied out on request so the map can be dropped after loading.
public final class SafeTensorsFile: Sendable {
    public struct Entry: Sendable, Equatable {
        public let dtype: String
        public let shape: [Int]
        /// Byte range inside the data section.
        public let begin: Int
        public let end: Int
    }

    public let path: String
    public let entries: [String: Entry]
    public let metadata: [String: String]
    private let file: MappedFile
    private let dataStart: Int

    /// Largest JSON header accepted: the official model's is about 60 KB.
    public static let maximumHeaderBytes = 100_000_000

    /// Maps the file at `path`.
    public convenience init(path: String) throws(WeightsError) {
        try self.init(file: MappedFile(path: path))
    }

    /// Parses a copy of `bytes`; `name` stands for the path in errors.
    public convenience init(bytes: [UInt8], name: String) throws(WeightsError) {
        try self.init(file: MappedFile(copying: bytes, name: name))
    }

    /// Checks the whole header before any tensor is read: its length against the file and the cap, then
    /// every entry's dtype, shape and byte range against the data section.
    private init(file: MappedFile) throws(WeightsError) {
        let path = file.path
        let bytes = file.bytes
        guard bytes.count >= 8 else { throw .truncated(path: path, needed: 8, size: bytes.count) }
        let declaredLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard declaredLength > 1, declaredLength <= UInt64(Self.maximumHeaderBytes) else {
            throw .badHeader(path: path, reason: "header length \(declaredLength) is implausible (at most \(Self.maximumHeaderBytes))")
        }
        let headerLength = Int(declaredLength)
        guard 8 + headerLength <= bytes.count else {
            throw .truncated(path: path, needed: 8 + headerLength, size: bytes.count)
        }
        let headerData = Data(bytes[8..<8 + headerLength])
        guard let json = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw .badHeader(path: path, reason: "header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        let dataSize = bytes.count - 8 - headerLength
        for (key, value) in json {
            if key == "__metadata__" {
                guard let map = value as? [String: String] else {
                    throw .badHeader(path: path, reason: "__metadata__ is not a map of strings")
                }
                metadata = map
                continue
            }
            let entry = try Self.parseEntry(key: key, value: value, path: path)
            guard entry.end <= dataSize else {
                let (needed, overflow) = entry.end.addingReportingOverflow(8 + headerLength)
                if overflow { throw .badHeader(path: path, reason: "entry '\(key)' ends at byte \(entry.end), beyond any file") }
                throw .truncated(path: path, needed: needed, size: bytes.count)
            }
            entries[key] = entry
        }
        self.path = path
        self.file = file
        self.entries = entries
        self.metadata = metadata
        self.dataStart = 8 + headerLength
    }

    private static func parseEntry(key: String, value: Any, path: String) throws(WeightsError) -> Entry {
        guard let object = value as? [String: Any],
            let dtype = object["dtype"] as? String,
            let shape = object["shape"] as? [Int],
            let offsets = object["data_offsets"] as? [Int], offsets.count == 2
        else { throw .badHeader(path: path, reason: "entry '\(key)' lacks dtype, shape or data_offsets") }
        guard let width = elementSize(dtype) else {
            throw .badHeader(path: path, reason: "entry '\(key)' has unsupported dtype \(dtype)")
        }
        // Checked arithmetic: a crafted shape's element count can overflow Int.
        var count = 1
        var overflow = !shape.allSatisfy { $0 >= 0 }
        for dimension in shape where !overflow {
            (count, overflow) = count.multipliedReportingOverflow(by: dimension)
        }
        let (size, sizeOverflow) = count.multipliedReportingOverflow(by: width)
        guard !overflow, !sizeOverflow else {
            throw .badHeader(path: path, reason: "entry '\(key)' has an impossible shape \(shape)")
        }
        guard offsets[0] >= 0, offsets[1] >= offsets[0], offsets[1] - offsets[0] == size else {
            throw .badHeader(path: path, reason: "entry '\(key)' byte range \(offsets) does not match its shape \(shape)")
        }
        return Entry(dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
    }

    private static func elementSize(_ dtype: String) -> Int? {
        switch dtype {
        case "F32", "I32", "U32": return 4
        case "F64", "I64": return 8
        case "F16", "BF16", "I16": return 2
        case "U8", "I8", "BOOL": return 1
        default: return nil
        }
    }

    public func entry(_ key: String) throws(WeightsError) -> Entry {
        guard let entry = entries[key] else { throw .missingTensor(key: key) }
        return entry
    }

    /// Calls `body` with the raw little-endian bytes of tensor `key`.
    public func withRawBytes<R>(_ key: String, _ body: (UnsafeRawBufferPointer) -> R) throws(WeightsError) -> R {
        let entry = try entry(key)
        return body(UnsafeRawBufferPointer(rebasing: file.bytes[(dataStart + entry.begin)..<(dataStart + entry.end)]))
    }

    /// The F32 tensor `key`, copied out of the map.
    public func tensor(_ key: String) throws(WeightsError) -> Tensor {
        let entry = try entry(key)
        guard entry.dtype == "F32" else { throw .dtypeMismatch(key: key, expected: "F32", actual: entry.dtype) }
        var tensor = Tensor(uninitializedShape: entry.shape)
        let source = UnsafeRawBufferPointer(rebasing: file.bytes[(dataStart + entry.begin)..<(dataStart + entry.end)])
        tensor.withUnsafeMutableBufferPointer { destination in
            UnsafeMutableRawBufferPointer(destination).copyMemory(from: source)
        }
        return tensor
    }

    /// The I32 tensor `key` as a flat array.
    public func int32s(_ key: String) throws(WeightsError) -> [Int32] {
        let entry = try entry(key)
        guard entry.dtype == "I32" else { throw .dtypeMismatch(key: key, expected: "I32", actual: entry.dtype) }
        let source = UnsafeRawBufferPointer(rebasing: file.bytes[(dataStart + entry.begin)..<(dataStart + entry.end)])
        return (0..<entry.shape.reduce(1, *)).map {
            Int32(littleEndian: source.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))
        }
    }

    /// The U8 tensor `key` as a flat array (coded bytes in fixtures).
    public func uint8s(_ key: String) throws(WeightsError) -> [UInt8] {
        let entry = try entry(key)
        guard entry.dtype == "U8" else { throw .dtypeMismatch(key: key, expected: "U8", actual: entry.dtype) }
        return Array(file.bytes[(dataStart + entry.begin)..<(dataStart + entry.end)])
    }
}
