import Foundation

/// What the pipeline's own counters said about one run: the encoder's exit summary, the edge's, and
/// the sink's final line, beside how many Results the benchmark heard from the sink (all of them, and
/// before the stages were stopped).
public struct PipelineCounters: Sendable, Equatable, Codable {
    public var encoder = ""
    public var edge = ""
    public var sink = ""
    /// The sink's count of Results over the run (its final line), `nil` when it printed none.
    public var sinkFrames: Int?
    /// Frames the encoder never made a latent of, over the run (its summary's `dropped`).
    public var encoderDropped: Int?
    public var heard = 0
    public var heardBeforeStop = 0
    /// Messages on the sink's topic that were not a Result.
    public var unreadable = 0
    /// The run was ended before every latent of the window was answered.
    public var cutShort = false

    public init() {}

    mutating func read(_ stages: [StageProcess], heard: Int, measured: Int) {
        for stage in stages {
            let output = stage.standardOutput
            switch stage.name {
            case "encoder":
                let summary = SummaryFields.parse(output, lineStartingWith: "ladon-encoder[")
                encoder = summary.line
                encoderDropped = summary.fields["dropped"].flatMap { Int($0) }
            case "edge": edge = SummaryFields.parse(output, lineStartingWith: "ladon-edge serve:").line
            case "sink":
                let summary = SummaryFields.parse(output, lineStartingWith: "sink final: frames=")
                sink = summary.line
                sinkFrames = summary.fields["frames"].flatMap { Int($0) }
            default: continue
            }
        }
        self.heard = heard
        heardBeforeStop = measured
    }

    /// The counters in one line: the encoder's, the edge's and the sink's figures that matter here.
    var line: String {
        func fields(_ line: String, _ names: [String]) -> String {
            let values = SummaryFields.parse(line, lineStartingWith: "").fields
            return names.compactMap { name in values[name].map { "\(name)=\($0)" } }.joined(separator: " ")
        }
        let encoderFields = fields(encoder, ["received", "encoded", "sent", "dropped", "mean_encode_ms", "mean_transmit_ms"])
        return "encoder \(encoderFields); edge \(fields(edge, ["results", "errors"])); "
            + "sink \(fields(sink, ["frames", "errors", "drops"])), benchmark heard \(heard)"
            + (sinkFrames == heard ? "" : " (NOT what the sink counted)") + (cutShort ? "; run cut short" : "")
    }
}

/// The unloaded one-frame latency: the frames that went through alone (UnloadedFrames).
public struct UnloadedFigures: Sendable, Equatable, Codable {
    public var periodSeconds: Double
    public var delivered: Int
    public var alone: Int
    public var latencyP50: Double?
    public var latencyP90: Double?
    public var counters = PipelineCounters()

    public init(_ frames: [DeliveredFrame], period: Double) {
        periodSeconds = period
        delivered = frames.filter { !$0.failed }.count
        let alone = UnloadedFrames.alone(frames).map(\.latencyMilliseconds)
        self.alone = alone.count
        latencyP50 = Percentile.nearestRank(alone, 50)
        latencyP90 = Percentile.nearestRank(alone, 90)
    }
}

/// One loaded mode's line of the table.
public struct ModeResult: Sendable, Equatable, Codable {
    public var mode: LinkBenchmark.Mode
    public var figures: ModeFigures
    public var counters: PipelineCounters
    /// p50 over the unloaded p50, p90 over the unloaded p90.
    public var p50Ratio: Double?
    public var p90Ratio: Double?

    mutating func compare(with unloaded: UnloadedFigures?) {
        func ratio(_ value: Double?, _ base: Double?) -> Double? {
            guard let value, let base, base > 0 else { return nil }
            return value / base
        }
        p50Ratio = ratio(figures.latencyP50, unloaded?.latencyP50)
        p90Ratio = ratio(figures.latencyP90, unloaded?.latencyP90)
    }

    /// The goal flow control is held to on a shaped link: a credit mode keeps the link at least 90 %
    /// busy with a median latency at most 1.5 times the unloaded one.
    public var meetsTarget: Bool? {
        guard mode.policy == "freshest", let p50Ratio else { return nil }
        return figures.utilisation >= 0.9 && p50Ratio <= 1.5
    }

    var row: String {
        func ms(_ value: Double?) -> String { value.map { String(format: "%.0f", $0) } ?? "-" }
        func times(_ value: Double?) -> String { value.map { String(format: "%.2fx", $0) } ?? "-" }
        return mode.name.padding(toLength: 34, withPad: " ", startingAt: 0)
            + columns([
                "\(figures.frames)", "\(figures.drops)", "\(figures.errors)", String(format: "%.1f%%", figures.utilisation * 100),
                ms(figures.latencyP50), ms(figures.latencyP90), times(p50Ratio), times(p90Ratio),
            ])
    }
}

/// Everything one `ladon-bench link` run measured, as printed and as `--json` writes it.
public struct LinkReport: Sendable, Codable {
    public var kilobitsPerSecond: Double
    public var framesPerSecond: Double
    public var workers: Int
    public var holdMilliseconds: Int
    public var encoderShapes: Bool
    /// Where the link is shaped, in words (`LinkPlacement.shaping`).
    public var shaping: String
    public var model: String
    public var source: String
    public var plan: LinkBenchmark.Plan
    public var meanLatentBytes: Double
    public var largestLatentBytes: Int
    public var unloaded: UnloadedFigures?
    public var modes: [ModeResult] = []

    init(_ configuration: LinkBenchmark.Configuration, plan: LinkBenchmark.Plan, sizes: LatentSizes) {
        kilobitsPerSecond = configuration.kilobitsPerSecond
        framesPerSecond = configuration.framesPerSecond
        workers = configuration.workers
        holdMilliseconds = configuration.holdMilliseconds
        encoderShapes = configuration.placement.encoderShapes
        shaping = configuration.placement.shaping
        model = configuration.model
        source = configuration.source
        self.plan = plan
        meanLatentBytes = sizes.meanWireBytes
        largestLatentBytes = sizes.maximumWireBytes
    }

    var header: [String] {
        let rate = kilobitsPerSecond * 125
        let hold = holdMilliseconds > 0 ? " + \(holdMilliseconds) ms hold" : ""
        return [
            String(format: "ladon-bench link: %g kbps link (%@), camera %g fps", kilobitsPerSecond, shaping, framesPerSecond),
            "edge: ladon-edge serve, \(workers) worker\(workers == 1 ? "" : "s") running the model\(hold); Results counted at ladon-sink serve",
            String(
                format: "latents: %.0f bytes on average, %d at most (%.2f s and %.2f s on the link); %.0f s measured per mode after %.1f s warm-up",
                meanLatentBytes, largestLatentBytes, meanLatentBytes / rate, Double(largestLatentBytes) / rate, plan.secondsPerMode,
                plan.warmupSeconds),
        ]
    }

    var unloadedLine: String? {
        guard let unloaded else { return nil }
        func ms(_ value: Double?) -> String { value.map { String(format: "%.0f ms", $0) } ?? "-" }
        return String(format: "unloaded one-frame latency (W=1, a frame every %.1f s): ", unloaded.periodSeconds)
            + "p50 \(ms(unloaded.latencyP50)), p90 \(ms(unloaded.latencyP90)) over \(unloaded.alone) frames alone in the pipeline "
            + "(of \(unloaded.delivered) answered)"
    }

    static let tableHeading =
        "mode".padding(toLength: 34, withPad: " ", startingAt: 0)
        + columns(["frames", "drops", "errors", "util", "p50 ms", "p90 ms", "p50/unl", "p90/unl"])

    var footer: [String] {
        var lines = ["pipeline counters over each whole run (warm-up and stop included: the edge answers what it holds at the stop with an error):"]
        if let unloaded { lines.append("  unloaded: \(unloaded.counters.line)") }
        lines += modes.map { "  \($0.mode.name): \($0.counters.line)" }
        let verdicts = modes.compactMap { mode in mode.meetsTarget.map { "\(mode.mode.name) \($0 ? "met" : "missed")" } }
        if !verdicts.isEmpty {
            lines.append("target (util >= 90 %, p50 <= 1.5x unloaded): " + verdicts.joined(separator: ", "))
        }
        return lines
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

/// The table's figures, right-aligned in their columns after the mode's name.
private func columns(_ texts: [String]) -> String {
    let widths = [6, 6, 6, 7, 7, 7, 8, 8]
    return zip(texts, widths).map { String(repeating: " ", count: max(0, $1 - $0.count)) + $0 }.joined(separator: " ")
}
