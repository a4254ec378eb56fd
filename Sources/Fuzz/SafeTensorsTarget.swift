import Shared

/// Target `safetensors`: a model or fixture file as `SafeTensorsFile` opens it (from bytes here: the
/// same parser as from a mapped file), then every tensor read as its dtype, and the architecture
/// metadata parsed as a model file's is.
///
/// Invariants: what reads has as many elements as its shape says and lies inside the data.
enum SafeTensorsTarget {
    static func run(_ bytes: [UInt8]) -> FuzzOutcome {
        do throws(WeightsError) {
            let file = try SafeTensorsFile(bytes: bytes, name: "fuzz.safetensors")
            for (key, entry) in file.entries {
                let count = entry.shape.reduce(1, *)
                check(entry.begin >= 0 && entry.end <= bytes.count, "entry \(key) lies outside the file")
                let (read, expected) =
                    switch entry.dtype {
                    case "F32": (try file.tensor(key).scalars.count, count)
                    case "I32": (try file.int32s(key).count, count)
                    case "U8": (try file.uint8s(key).count, count)
                    default: (try file.withRawBytes(key) { $0.count }, entry.end - entry.begin)
                    }
                check(read == expected, "\(key): read \(read) of \(expected)")
            }
            if let json = file.metadata[LadonArchitecture.metadataKey] {
                _ = try LadonArchitecture.parse(json)
            }
            return .accepted
        } catch {
            return refusal(error)
        }
    }
}
