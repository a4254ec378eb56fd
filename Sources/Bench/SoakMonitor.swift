/// What `ladon-bench soak` tracks while the pipeline runs, apart from sockets, processes and clocks:
/// the Results heard per node (counts, and the longest silence of each node), the end of warm-up, and
/// every process's resident memory as sampled. Times are seconds on one monotonic clock, passed in;
/// memory is bytes, `nil` for a process a sample found gone.
///
/// Gaps are measured per node from the run's first Result (so a node that starts late, or never, has a
/// gap too), and the silence still open when the figures are read counts as a gap: a stalled node shows
/// even before the stall limit ends the run.
public struct SoakMonitor: Sendable {
    /// One node's Results as the benchmark heard them.
    public struct NodeTally: Sendable, Equatable, Codable {
        public var heard = 0
        public var errors = 0
        public var lastAt: Double?
        /// The longest closed silence between two of its Results (or the run's first and its first).
        public var longestGap = 0.0
    }

    public enum Ending: Sendable, Equatable, CustomStringConvertible {
        case reached(Int)
        /// A node heard from before went silent for `seconds`.
        case stalled(node: String, seconds: Double)
        /// A node never answered within the first-Result limit.
        case noResult(node: String, seconds: Double)
        /// `log`: its last lines on stderr, printed apart.
        case stageExited(name: String, status: Int32, log: String)
        case interrupted

        public var description: String {
            switch self {
            case let .reached(count): return "reached \(count) Results"
            case let .stalled(node, seconds): return "stall: no Result from \(node) for \(Int(seconds)) s"
            case let .noResult(node, seconds): return "no Result from \(node) within \(Int(seconds)) s of the start"
            case let .stageExited(name, status, _): return "the \(name) process exited early (status or signal \(status))"
            case .interrupted: return "interrupted"
            }
        }

        public var reachedTarget: Bool {
            if case .reached = self { return true }
            return false
        }
    }

    /// Results to hear, and how many of them are warm-up.
    public let target: Int
    public let warmupResults: Int
    public let limits: SoakLimits
    public let startedAt: Double
    public private(set) var nodes: [String: NodeTally]
    public private(set) var heard = 0
    public private(set) var firstResultAt: Double?
    public private(set) var lastResultAt: Double?
    /// When the warm-up's last Result was heard.
    public private(set) var warmupEndedAt: Double?
    /// When memory was first sampled after the warm-up ended: the baseline round.
    public private(set) var warmupSampledAt: Double?
    /// Every process sampled, in the order first seen.
    public private(set) var memory: [MemoryTrack] = []

    public init(target: Int, warmupFraction: Double, nodes: [String], limits: SoakLimits = SoakLimits(), startedAt: Double) {
        precondition(target >= 1, "a soak reaches at least one Result")
        self.target = target
        warmupResults = min(target, Int((warmupFraction * Double(target)).rounded()))
        self.limits = limits
        self.startedAt = startedAt
        self.nodes = Dictionary(uniqueKeysWithValues: nodes.map { ($0, NodeTally()) })
    }

    public var isDone: Bool { heard >= target }

    /// Counts a Result of `node` heard at `time`; `true` when it is the one that ends the warm-up (the
    /// caller samples memory then).
    public mutating func heard(node: String, failed: Bool, at time: Double) -> Bool {
        let first = firstResultAt ?? time
        firstResultAt = first
        lastResultAt = time
        var tally = nodes[node, default: NodeTally()]
        tally.heard += 1
        if failed { tally.errors += 1 }
        tally.longestGap = max(tally.longestGap, time - (tally.lastAt ?? first))
        tally.lastAt = time
        nodes[node] = tally
        heard += 1
        guard warmupEndedAt == nil, heard >= warmupResults else { return false }
        warmupEndedAt = time
        return true
    }

    /// Records a sample of the process `name` (`pid`): its resident bytes, `nil` when it was gone. The
    /// processes of one sampling round share its `time`; the first round after the warm-up ended is the
    /// baseline, and a process first seen in a later one started after warm-up.
    public mutating func sampled(_ name: String, pid: Int32, bytes: Int?, at time: Double) {
        if warmupEndedAt != nil && warmupSampledAt == nil { warmupSampledAt = time }
        let late = warmupSampledAt.map { time > $0 } ?? false
        let index =
            memory.firstIndex { $0.name == name }
            ?? {
                memory.append(MemoryTrack(name: name, pid: pid, firstSeenAfterWarmup: late))
                return memory.count - 1
            }()
        memory[index].record(bytes, at: time - startedAt, warmedUp: warmupSampledAt != nil)
    }

    /// Why the run must end at `now` short of its target: a node silent past the stall limit, or one
    /// with no Result yet past the first-Result limit; `nil` while it may go on.
    public func stall(now: Double) -> Ending? {
        for (node, tally) in nodes.sorted(by: { $0.key < $1.key }) {
            if let last = tally.lastAt {
                if now - last > limits.stallSeconds { return .stalled(node: node, seconds: now - last) }
            } else if now - startedAt > limits.firstResultSeconds {
                return .noResult(node: node, seconds: now - startedAt)
            }
        }
        return nil
    }

    /// Each node's longest silence up to `end`, the open one included; the longest first.
    public func longestGaps(until end: Double) -> [(node: String, seconds: Double)] {
        guard let first = firstResultAt else { return nodes.keys.sorted().map { ($0, end - startedAt) } }
        return nodes.map { node, tally in (node, max(tally.longestGap, end - (tally.lastAt ?? first))) }
            .sorted { $0.seconds != $1.seconds ? $0.seconds > $1.seconds : $0.node < $1.node }
    }

    public var errors: Int { nodes.values.reduce(0) { $0 + $1.errors } }
}

/// One process's resident memory (VmRSS) over a soak: the sample that ended the warm-up, the last one
/// and the peak, and every sample (seconds since the run's start, bytes) for the JSON report.
public struct MemoryTrack: Sendable, Equatable, Codable {
    public struct Sample: Sendable, Equatable, Codable {
        public var seconds: Double
        public var bytes: Int
    }

    public var name: String
    public var pid: Int32
    /// First sampled after the warm-up ended (a worker started again): no warm-up figure to compare with.
    public var firstSeenAfterWarmup: Bool
    /// The first sample at or after the end of warm-up, of a process running before it ended.
    public var warmupBytes: Int?
    public var endBytes: Int?
    public var peakBytes = 0
    /// A sample found the process gone (it exited before the end).
    public var gone = false
    /// (end - warm-up) / warm-up, `nil` without both.
    public var growth: Double?
    public var samples: [Sample] = []

    init(name: String, pid: Int32, firstSeenAfterWarmup: Bool) {
        self.name = name
        self.pid = pid
        self.firstSeenAfterWarmup = firstSeenAfterWarmup
    }

    mutating func record(_ bytes: Int?, at seconds: Double, warmedUp: Bool) {
        guard let bytes else {
            gone = true
            return
        }
        samples.append(Sample(seconds: seconds, bytes: bytes))
        peakBytes = max(peakBytes, bytes)
        endBytes = bytes
        if warmedUp && warmupBytes == nil && !firstSeenAfterWarmup { warmupBytes = bytes }
        if let warmupBytes, warmupBytes > 0 { growth = Double(bytes - warmupBytes) / Double(warmupBytes) }
    }
}
