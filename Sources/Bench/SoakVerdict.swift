import Foundation

/// What a soak holds the pipeline to.
public struct SoakLimits: Sendable, Equatable, Codable {
    /// Every process's RSS grows less than this share from the end of warm-up to the end.
    public var memoryGrowth = 0.05
    /// No node goes longer than this between two of its Results (seconds).
    public var longestGap = 5.0
    /// The slow subscriber's lines are younger than this (capture to print, ms).
    public var maximumAgeMilliseconds = 2000.0
    /// The slow subscriber prints its rate x seconds lines, give or take this share (or 2 lines).
    public var lineTolerance = 0.1
    /// A node silent this long ends the run (seconds).
    public var stallSeconds = 30.0
    /// A node without a first Result this long after the start ends the run (seconds).
    public var firstResultSeconds = 60.0

    public init() {}
}

/// What the slow subscriber (`ladon-sink subscribe --max-rate R`) printed: one JSON line per Result,
/// each ending with `skipped` (Results of its topic replaced unread) and `age_ms` (capture to print).
public struct SubscriberFigures: Sendable, Equatable, Codable {
    public var lines = 0
    /// Lines that were not a JSON object with both members (a line cut off at the stop).
    public var unreadable = 0
    public var skipped = 0
    public var maximumAgeMilliseconds: Double?
    public var p99AgeMilliseconds: Double?

    public init(output: String) {
        var ages: [Double] = []
        for line in output.split(separator: "\n") where !line.allSatisfy(\.isWhitespace) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let skipped = (object["skipped"] as? NSNumber)?.intValue, let age = (object["age_ms"] as? NSNumber)?.doubleValue
            else {
                unreadable += 1
                continue
            }
            lines += 1
            self.skipped += skipped
            ages.append(age)
        }
        maximumAgeMilliseconds = ages.max()
        p99AgeMilliseconds = Percentile.nearestRank(ages, 99)
    }
}

/// PASS or FAIL, check by check: the run reached its target; no process's RSS grew by the memory limit
/// or more after warm-up (a process started after warm-up or gone before the end cannot pass); no node
/// was silent longer than the gap limit; the slow subscriber's oldest line was younger than the age
/// limit and it printed about rate x seconds lines (fresh Results all along, never a backlog); no
/// Result was an error.
public struct SoakVerdict: Sendable, Equatable, Codable {
    public struct Check: Sendable, Equatable, Codable {
        public var name: String
        public var passed: Bool
        public var detail: String
    }

    public var checks: [Check] = []
    public var passed: Bool { checks.allSatisfy(\.passed) }

    /// `expectedLines`: one, plus the subscriber's rate times the seconds it ran while Results flowed.
    public init(
        ending: SoakMonitor.Ending, memory: [MemoryTrack], gaps: [(node: String, seconds: Double)], subscriber: SubscriberFigures,
        expectedLines: Double, errors: Int, limits: SoakLimits
    ) {
        checks.append(Check(name: "run", passed: ending.reachedTarget, detail: "\(ending)"))

        let percent = limits.memoryGrowth * 100
        let failing = memory.compactMap { track -> String? in
            if track.firstSeenAfterWarmup { return "\(track.name) started after warm-up" }
            if track.gone { return "\(track.name) exited before the end" }
            guard let growth = track.growth else { return "\(track.name) has no RSS at the end of warm-up and at the end" }
            return growth < limits.memoryGrowth ? nil : String(format: "%@ RSS grew %.1f %%", track.name, growth * 100)
        }
        let largest = memory.filter { $0.growth != nil }.max { ($0.growth ?? 0) < ($1.growth ?? 0) }
        let memoryDetail =
            failing.isEmpty
            ? String(
                format: "every process's RSS grew < %g %% after warm-up (largest: %@ %+.1f %%)", percent, largest?.name ?? "-",
                (largest?.growth ?? 0) * 100)
            : failing.joined(separator: ", ") + String(format: " (limit < %g %%)", percent)
        let baseline = memory.contains { $0.warmupBytes != nil }
        checks.append(
            Check(
                name: "memory", passed: baseline && failing.isEmpty,
                detail: memory.isEmpty ? "no RSS sampled" : baseline ? memoryDetail : "no RSS at the end of warm-up (not reached)"))

        let longest = gaps.first
        let gapPassed = longest.map { $0.seconds <= limits.longestGap } ?? false
        checks.append(
            Check(
                name: "gaps", passed: gapPassed,
                detail: longest.map { String(format: "longest gap %.2f s (%@), limit %g s", $0.seconds, $0.node, limits.longestGap) }
                    ?? "no node"))

        let age = subscriber.maximumAgeMilliseconds
        checks.append(
            Check(
                name: "freshness", passed: age.map { $0 < limits.maximumAgeMilliseconds } ?? false,
                detail: age.map { String(format: "slow subscriber's oldest line %.0f ms, limit < %g ms", $0, limits.maximumAgeMilliseconds) }
                    ?? "the slow subscriber printed no line"))

        let slack = max(2, limits.lineTolerance * expectedLines)
        checks.append(
            Check(
                name: "rate", passed: abs(Double(subscriber.lines) - expectedLines) <= slack,
                detail: String(format: "slow subscriber printed %d lines, expected %.0f +- %.0f", subscriber.lines, expectedLines, slack)))

        checks.append(Check(name: "errors", passed: errors == 0, detail: "\(errors) error Results"))
    }

    /// `verdict: PASS (...)` or `verdict: FAIL: the failed checks' details`.
    public var line: String {
        if passed { return "verdict: PASS (" + checks.map(\.detail).joined(separator: "; ") + ")" }
        return "verdict: FAIL: " + checks.filter { !$0.passed }.map(\.detail).joined(separator: "; ")
    }
}
