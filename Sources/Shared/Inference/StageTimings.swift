import Dispatch

/// Wall-clock milliseconds per named stage, in the order the stages ran.
public struct StageTimings: Sendable {
    public private(set) var stages: [StageTiming] = []

    public init() {}

    /// Runs `body`, records how long it took under `name`, and returns its value.
    public mutating func measure<T, E: Error>(_ name: String, _ body: () throws(E) -> T) throws(E) -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        let value = try body()
        stages.append(StageTiming(stage: name, milliseconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6))
        return value
    }

    /// Stages measured elsewhere (a batch's shared stages), appended in order.
    public mutating func add(_ measured: [StageTiming]) { stages += measured }

    public var total: Double { stages.reduce(0) { $0 + $1.milliseconds } }
}
