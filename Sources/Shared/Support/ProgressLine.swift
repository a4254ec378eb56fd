/// A progress line for long work: `[12/60] name (3.4 per s, 14 s left)`. Time is passed in (seconds
/// since the work started), so the wording is tested without a clock.
public struct ProgressLine: Sendable {
    public let total: Int
    public let unit: String

    public init(total: Int, unit: String = "images") {
        self.total = total
        self.unit = unit
    }

    /// The line after `done` items of `total`, `elapsed` seconds in; `item` names the last one.
    public func line(done: Int, item: String, elapsed: Double) -> String {
        let head = "[\(done)/\(total)] \(item)"
        guard done > 0, elapsed > 0 else { return head }
        let rate = Double(done) / elapsed
        let left = Double(max(0, total - done)) / rate
        return head + " (" + Self.format(rate) + " \(unit)/s, " + Self.duration(left) + " left)"
    }

    static func format(_ rate: Double) -> String {
        if rate >= 10 { return "\(Int(rate.rounded()))" }
        return rate >= 1 ? "\((rate * 10).rounded() / 10)" : "\((rate * 100).rounded() / 100)"
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return whole < 120 ? "\(whole) s" : "\(whole / 60) min \(whole % 60) s"
    }
}
