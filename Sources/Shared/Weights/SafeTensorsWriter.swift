import Foundation

/// Writes F32 / I32 tensors as a safetensors file (the format `SafeTensorsFile` reads), for stage
/// dumps and test files.
public struct SafeTensorsWriter {
    private enum Payload {
        case float(Tensor)
        case int32([Int32], shape: [Int])
    }

    private var tensors: [(String, Payload)] = []
    public var metadata: [String: String] = [:]

    public init(metadata: [String: String] = [:]) { self.metadata = metadata }

    public mutating func add(_ name: String, _ tensor: Tensor) { tensors.append((name, .float(tensor))) }

    public mutating func add(_ name: String, int32s: [Int32], shape: [Int]) {
        precondition(shape.reduce(1, *) == int32s.count, "shape \(shape) for \(int32s.count) values")
        tensors.append((name, .int32(int32s, shape: shape)))
    }

    /// The file's bytes: u64 header length, JSON header (names sorted), then the data.
    public func serialized() -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var body = Data()
        for (name, payload) in tensors.sorted(by: { $0.0 < $1.0 }) {
            let begin = body.count
            let (dtype, shape): (String, [Int])
            switch payload {
            case let .float(tensor):
                (dtype, shape) = ("F32", tensor.shape)
                tensor.withUnsafeBufferPointer { body.append(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count)) }
            case let .int32(values, valueShape):
                (dtype, shape) = ("I32", valueShape)
                values.withUnsafeBufferPointer { body.append($0) }
            }
            header[name] = ["dtype": dtype, "shape": shape, "data_offsets": [begin, body.count]] as [String: Any]
        }
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data("{}".utf8)
        while json.count % 8 != 0 { json.append(0x20) }  // pad so tensor data stays aligned
        var file = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        file.append(body)
        return file
    }

    public func write(to path: String) throws {
        try serialized().write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
