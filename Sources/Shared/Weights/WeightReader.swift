/// Hands out a model file's tensors by key, checking each shape, and remembers which keys were used
/// so that `finishReading()` can refuse a file holding tensors the model does not know.
public final class WeightReader {
    public let file: SafeTensorsFile
    private var used: Set<String> = []

    public init(file: SafeTensorsFile) { self.file = file }

    public func tensor(_ key: String, shape: [Int]) throws(WeightsError) -> Tensor {
        let entry = try file.entry(key)
        guard entry.shape == shape else { throw .shapeMismatch(key: key, expected: shape, actual: entry.shape) }
        used.insert(key)
        return try file.tensor(key)
    }

    public func int32s(_ key: String, shape: [Int]) throws(WeightsError) -> [Int32] {
        let entry = try file.entry(key)
        guard entry.shape == shape else { throw .shapeMismatch(key: key, expected: shape, actual: entry.shape) }
        used.insert(key)
        return try file.int32s(key)
    }

    /// The shape stored for `key`, for tensors whose size the architecture does not fix (CDF tables).
    public func shape(of key: String) throws(WeightsError) -> [Int] { try file.entry(key).shape }

    /// Refuses the file if it holds a tensor nobody read, except under the given key prefixes
    /// (the other side of the split reads those).
    public func finishReading(allowingUnreadUnder prefixes: [String] = []) throws(WeightsError) {
        let unused = Set(file.entries.keys).subtracting(used)
            .filter { key in !prefixes.contains { key.hasPrefix($0) } }
            .sorted()
        if !unused.isEmpty { throw .unexpectedTensors(keys: unused) }
    }
}
