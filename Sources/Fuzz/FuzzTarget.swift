/// The fuzz targets: each takes one input's bytes to the code that parses such bytes in the pipeline,
/// and says whether the input was accepted or refused. Hostile input must be refused with a typed error;
/// a trap is a bug, and so is a broken invariant, which each target checks with `check`. libFuzzer (`ladon-fuzz` built with `-sanitize=fuzzer,address`) and the replay
/// (`ladon-fuzz replay`, the FuzzTests) run the same functions; Sources/Fuzz/README.md says how.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The envelope and every message kind a stage receives (`EnvelopeTarget`).
    case envelope
    /// The entropy bottleneck's rANS decoder on the tiny model's tables (`RansTarget`).
    case rans
    /// JPEG decoding and preprocessing, as the encoder runs them on a Frame (`JPEGTarget`).
    case jpeg
    /// The ingest's Motion-JPEG splitter on stdin (`MJPEGTarget`).
    case mjpeg
    /// The safetensors header and the model architecture in its metadata (`SafeTensorsTarget`).
    case safetensors

    /// Runs one input.
    public func run(_ bytes: [UInt8]) -> FuzzOutcome {
        switch self {
        case .envelope: EnvelopeTarget.run(bytes)
        case .rans: RansTarget.run(bytes)
        case .jpeg: JPEGTarget.run(bytes)
        case .mjpeg: MJPEGTarget.run(bytes)
        case .safetensors: SafeTensorsTarget.run(bytes)
        }
    }

    /// A sensible libFuzzer `-max_len`: larger inputs only slow the search down.
    public var maximumInputBytes: Int {
        switch self {
        case .envelope: 16 << 10
        case .rans: 4 << 10
        case .jpeg: 64 << 10
        case .mjpeg: 32 << 10
        case .safetensors: 16 << 10
        }
    }
}

/// What a target made of one input.
public enum FuzzOutcome: Sendable, Equatable {
    case accepted
    /// Refused with a typed error (the one-line description a stage would log).
    case refused(String)
}

/// Checks that an error's description is what a stage logs: one non-empty line.
func refusal(_ error: some Error) -> FuzzOutcome {
    let text = "\(error)"
    check(!text.isEmpty && !text.contains("\n"), "error description is not one line: \(text)")
    return .refused(text)
}

/// A target's invariant: a trap with the message (a release build's `precondition` drops it).
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("broken invariant: \(message())") }
}
