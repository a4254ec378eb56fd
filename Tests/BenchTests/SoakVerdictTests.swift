import LadonBench
import Shared
import Testing

/// The soak's decisions without processes or clocks: times are seconds passed in, memory bytes.
@Suite struct SoakVerdictTests {
    static let mebibyte = 1_048_576

    /// A monitor of nodes `a` and `b` that heard `results` Results, alternating, `spacing` apart from t=10,
    /// each process sampled at warm-up's end and at the end with the given RSS.
    static func monitor(
        results: Int = 100, spacing: Double = 0.1, memory: [String: (warmup: Int, end: Int)] = ["edge": (100, 101), "sink": (20, 20)]
    ) -> SoakMonitor {
        var monitor = SoakMonitor(target: results, warmupFraction: 0.1, nodes: ["a", "b"], startedAt: 0)
        for index in 0..<results {
            let time = 10 + Double(index) * spacing
            if monitor.heard(node: index % 2 == 0 ? "a" : "b", failed: false, at: time) {
                for (name, bytes) in memory.sorted(by: { $0.key < $1.key }) {
                    monitor.sampled(name, pid: 1, bytes: bytes.warmup * mebibyte, at: time)
                }
            }
        }
        for (name, bytes) in memory.sorted(by: { $0.key < $1.key }) {
            monitor.sampled(name, pid: 1, bytes: bytes.end * mebibyte, at: 10 + Double(results) * spacing)
        }
        return monitor
    }

    /// A slow subscriber's output: `count` lines of the given age, as `ladon-sink subscribe` ends them.
    static func subscriberLines(_ count: Int, ageMilliseconds: Int = 40, skipped: Int = 3) -> String {
        (0..<count).map { _ in #"{"topic": "a/all", "frame": {"node": "a"}, "skipped": \#(skipped), "age_ms": \#(ageMilliseconds)}"# }
            .joined(separator: "\n") + "\n"
    }

    static func verdict(
        _ monitor: SoakMonitor, subscriber: String = subscriberLines(20), expectedLines: Double = 20,
        ending: SoakMonitor.Ending? = nil
    ) -> SoakVerdict {
        let end = monitor.lastResultAt ?? 0
        return SoakVerdict(
            ending: ending ?? .reached(monitor.heard), memory: monitor.memory, gaps: monitor.longestGaps(until: end),
            subscriber: SubscriberFigures(output: subscriber), expectedLines: expectedLines, errors: monitor.errors, limits: monitor.limits)
    }

    @Test func aSteadyRunPassesEveryCheck() {
        let monitor = Self.monitor()
        #expect(monitor.warmupResults == 10)
        #expect(abs((monitor.warmupEndedAt ?? 0) - 10.9) < 1e-9, "the tenth Result ends the warm-up")
        #expect(monitor.memory.map(\.name) == ["edge", "sink"])
        #expect(monitor.memory.first?.growth == 0.01)
        let verdict = Self.verdict(monitor)
        #expect(verdict.passed, "\(verdict.line)")
        #expect(verdict.line.hasPrefix("verdict: PASS"))
    }

    @Test func rssThatGrowsFivePercentAfterWarmUpFailsNamingTheProcess() {
        let verdict = Self.verdict(Self.monitor(memory: ["edge": (100, 100), "worker-1": (40, 42)]))
        #expect(!verdict.passed)
        #expect(verdict.checks.first { $0.name == "memory" }?.passed == false)
        #expect(verdict.line.contains("worker-1 RSS grew 5.0 %"), "\(verdict.line)")
        #expect(!verdict.line.contains("edge RSS"), "the edge kept its size")
    }

    @Test func growthBeforeTheWarmUpEndedDoesNotCount() {
        var monitor = SoakMonitor(target: 10, warmupFraction: 0.5, nodes: ["a"], startedAt: 0)
        monitor.sampled("edge", pid: 7, bytes: 50, at: 1)
        for index in 0..<10 {
            if monitor.heard(node: "a", failed: false, at: 2 + Double(index)) { monitor.sampled("edge", pid: 7, bytes: 100, at: 6) }
        }
        monitor.sampled("edge", pid: 7, bytes: 102, at: 12)
        let track = monitor.memory[0]
        #expect(track.warmupBytes == 100)
        #expect(track.endBytes == 102)
        #expect(track.peakBytes == 102)
        #expect(track.growth == 0.02)
        #expect(track.samples.count == 3)
    }

    @Test func aWorkerStartedAfterWarmUpOrGoneBeforeTheEndFails() {
        var monitor = Self.monitor()
        monitor.sampled("worker-3", pid: 9, bytes: 40 * Self.mebibyte, at: 30)
        monitor.sampled("sink", pid: 1, bytes: nil, at: 30)
        let verdict = Self.verdict(monitor)
        #expect(!verdict.passed)
        #expect(verdict.line.contains("worker-3 started after warm-up"), "\(verdict.line)")
        #expect(verdict.line.contains("sink exited before the end"), "\(verdict.line)")
    }

    @Test func aGapLongerThanFiveSecondsFailsAndNamesTheNode() {
        var monitor = SoakMonitor(target: 6, warmupFraction: 0.1, nodes: ["a", "b"], startedAt: 0)
        for (node, time) in [("a", 10.0), ("b", 10.5), ("a", 11.0), ("b", 11.5), ("a", 12.0), ("b", 17.0)] {
            _ = monitor.heard(node: node, failed: false, at: time)
        }
        monitor.sampled("edge", pid: 1, bytes: 100, at: 17)
        let gaps = monitor.longestGaps(until: 17)
        #expect(gaps.first?.node == "b")
        #expect(gaps.first?.seconds == 5.5)
        #expect(gaps.last?.seconds == 5, "a's silence since its last Result is open at the end and counts")
        let verdict = Self.verdict(monitor)
        #expect(verdict.checks.first { $0.name == "gaps" }?.passed == false)
        #expect(verdict.line.contains("longest gap 5.50 s (b)"), "\(verdict.line)")
    }

    @Test func aNodeSilentForThirtySecondsIsAStallThatEndsTheRun() {
        var monitor = SoakMonitor(target: 1000, warmupFraction: 0.1, nodes: ["a", "b"], startedAt: 0)
        _ = monitor.heard(node: "a", failed: false, at: 5)
        _ = monitor.heard(node: "b", failed: false, at: 6)
        #expect(monitor.stall(now: 35) == nil)
        #expect(monitor.stall(now: 35.5) == .stalled(node: "a", seconds: 30.5))
        #expect(monitor.stall(now: 35.5).map { "\($0)" } == "stall: no Result from a for 30 s")
        let ended = Self.verdict(monitor, ending: monitor.stall(now: 35.5))
        #expect(ended.checks.first { $0.name == "run" }?.passed == false)
    }

    @Test func aNodeThatNeverAnswersEndsTheRunAfterTheFirstResultLimit() {
        var monitor = SoakMonitor(target: 1000, warmupFraction: 0.1, nodes: ["a", "b"], startedAt: 100)
        _ = monitor.heard(node: "a", failed: false, at: 120)
        #expect(monitor.stall(now: 149) == nil, "b has 60 s for its first Result")
        #expect(monitor.stall(now: 161) == .stalled(node: "a", seconds: 41))
        _ = monitor.heard(node: "a", failed: false, at: 155)
        #expect(monitor.stall(now: 161) == .noResult(node: "b", seconds: 61))
        #expect(monitor.longestGaps(until: 161).first?.node == "b", "b has been silent since the run's first Result")
    }

    @Test func oneOldSubscriberLineFailsFreshness() {
        let lines = Self.subscriberLines(19) + Self.subscriberLines(1, ageMilliseconds: 2400)
        let figures = SubscriberFigures(output: lines)
        #expect(figures.lines == 20)
        #expect(figures.maximumAgeMilliseconds == 2400)
        #expect(figures.p99AgeMilliseconds == 2400)
        #expect(figures.skipped == 60)
        let verdict = Self.verdict(Self.monitor(), subscriber: lines)
        #expect(verdict.checks.first { $0.name == "freshness" }?.passed == false)
        #expect(verdict.line.contains("oldest line 2400 ms"), "\(verdict.line)")
    }

    @Test func p99AgeIsTheNearestRankOverEveryLine() {
        let lines = (1...200).map { #"{"skipped": 0, "age_ms": \#($0)}"# }.joined(separator: "\n") + "\n{\"skipped\": 1, \"age_"
        let figures = SubscriberFigures(output: lines)
        #expect(figures.lines == 200)
        #expect(figures.unreadable == 1, "a line cut off at the stop is not a line")
        #expect(figures.p99AgeMilliseconds == 198)
        #expect(figures.maximumAgeMilliseconds == 200)
    }

    @Test(arguments: [(20, true), (18, true), (17, false), (30, false)])
    func theSubscriberPrintsAboutRateTimesSeconds(lines: Int, passes: Bool) {
        let verdict = Self.verdict(Self.monitor(), subscriber: Self.subscriberLines(lines), expectedLines: 20)
        #expect(verdict.checks.first { $0.name == "rate" }?.passed == passes, "\(verdict.line)")
    }

    @Test func aSubscriberThatPrintedNothingFails() {
        let verdict = Self.verdict(Self.monitor(), subscriber: "", expectedLines: 20)
        #expect(!verdict.passed)
        #expect(verdict.line.contains("printed no line"))
    }

    @Test func errorResultsFail() {
        var monitor = Self.monitor()
        _ = monitor.heard(node: "a", failed: true, at: 20)
        #expect(monitor.errors == 1)
        #expect(Self.verdict(monitor).checks.first { $0.name == "errors" }?.passed == false)
    }

    @Test func vmRSSIsReadInKibibytesFromProcStatus() {
        let status = "Name:\tladon-edge\nVmPeak:\t  300000 kB\nVmHWM:\t   23456 kB\nVmRSS:\t   12345 kB\nRssAnon:\t 1000 kB\n"
        #expect(ProcessTable.residentBytes(status: status) == 12345 * 1024)
        #expect(ProcessTable.residentBytes(status: status, field: "VmHWM") == 23456 * 1024, "the peak")
        #expect(ProcessTable.ownPeakResidentBytes().map { $0 > 0 } == true)
        #expect(ProcessTable.residentBytes(status: "Name:\tzombie\nState:\tZ (zombie)\n") == nil, "a zombie has no VmRSS")
    }

    @Test func theParentPIDFollowsACommandNameWithSpacesAndParentheses() {
        #expect(ProcessTable.parentPID(stat: "4242 (ladon edge (x)) S 4100 4242 1 0") == 4100)
        #expect(ProcessTable.parentPID(stat: "garbage") == nil)
    }
}
