import Foundation

/// One line of a stage's history (`HistoryLog`): `<µs> <stage> <event> <node> <sequence> [key=value ...]`.
public struct HistoryEvent: Sendable, Equatable {
    public var microseconds: Int64
    public var stage: String
    public var event: String
    public var node: String
    public var sequence: UInt64
    public var details: [String: String]

    public init(microseconds: Int64, stage: String, event: String, node: String, sequence: UInt64, details: [String: String] = [:]) {
        self.microseconds = microseconds
        self.stage = stage
        self.event = event
        self.node = node
        self.sequence = sequence
        self.details = details
    }

    /// `nil` for a line that is not an event (a torn last line of a killed stage).
    public init?(line: Substring) {
        let fields = line.split(separator: " ")
        guard fields.count >= 5, let time = Int64(fields[0]), let sequence = UInt64(fields[4]) else { return nil }
        var details: [String: String] = [:]
        for field in fields.dropFirst(5) {
            let parts = field.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            details[String(parts[0])] = String(parts[1])
        }
        self.init(
            microseconds: time, stage: String(fields[1]), event: String(fields[2]), node: String(fields[3]), sequence: sequence, details: details)
    }
}

/// What became of every frame, from the histories of ingest, the encoder and the sink: each captured
/// frame must end as exactly one published Result with every task's topic, or as one drop with its
/// reason, or among the latents an encoder wrote off (counted) when its session ended; nothing twice,
/// nothing published that was never captured, and each node's frames sent (and, with one latent in
/// flight, published) in capture order.
public struct HistoryCheck: Sendable {
    public struct Frame: Hashable, Sendable, CustomStringConvertible {
        public var node: String
        public var sequence: UInt64
        public var description: String { "\(node)#\(sequence)" }
    }

    public struct Report: Sendable {
        public var captured = 0
        public var published = 0
        public var errorResults = 0
        public var droppedByReason: [String: Int] = [:]
        public var writtenOff = 0
        /// Captured, never published, dropped or written off.
        public var lost: [Frame] = []
        public var publishedTwice: [Frame] = []
        public var droppedTwice: [Frame] = []
        public var droppedAndPublished: [Frame] = []
        public var missingTopics: [Frame] = []
        public var neverCaptured: [Frame] = []
        public var outOfOrder: [String] = []
        public var unreadableLines = 0

        public var problems: [String] {
            var out: [String] = []
            func add(_ name: String, _ frames: [Frame]) {
                if !frames.isEmpty { out.append("\(name): \(frames.count) (\(frames.prefix(8).map(\.description).joined(separator: ", ")))") }
            }
            add("lost", lost)
            add("published twice", publishedTwice)
            add("dropped twice", droppedTwice)
            add("dropped and published", droppedAndPublished)
            add("published without every task's topic", missingTopics)
            add("published but never captured", neverCaptured)
            out += outOfOrder
            return out
        }

        public var passed: Bool { problems.isEmpty }

        public var summary: String {
            let drops = droppedByReason.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
            return "history: captured=\(captured) published=\(published) error_results=\(errorResults) dropped=\(drops.isEmpty ? "0" : drops) "
                + "written_off=\(writtenOff) unreadable_lines=\(unreadableLines) " + (passed ? "PASS" : "FAIL: " + problems.joined(separator: "; "))
        }
    }

    /// Topics every published, non-error Result must have had (the task names after `<node>/`).
    public var requiredTopics: Set<String>
    /// Check that each node's Results were published in capture order (true when one latent is in flight at a time).
    public var publishedInOrder: Bool

    public init(requiredTopics: Set<String> = ["all", "classification", "detection", "segmentation"], publishedInOrder: Bool = false) {
        self.requiredTopics = requiredTopics
        self.publishedInOrder = publishedInOrder
    }

    public static func events(in text: String) -> (events: [HistoryEvent], unreadable: Int) {
        var events: [HistoryEvent] = []
        var unreadable = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if let event = HistoryEvent(line: line) { events.append(event) } else { unreadable += 1 }
        }
        return (events, unreadable)
    }

    public func check(_ text: String) -> Report {
        let (events, unreadable) = Self.events(in: text)
        var report = check(events)
        report.unreadableLines = unreadable
        return report
    }

    public func check(_ events: [HistoryEvent]) -> Report {
        var report = Report()
        let byNode = Dictionary(grouping: events, by: \.node)
        for (node, history) in byNode.sorted(by: { $0.key < $1.key }) { check(node: node, history, into: &report) }
        return report
    }

    private func check(node: String, _ history: [HistoryEvent], into report: inout Report) {
        let events = history.sorted { $0.microseconds < $1.microseconds }
        func frames(_ stage: String, _ event: String) -> [HistoryEvent] { events.filter { $0.stage == stage && $0.event == event } }
        // Without ingest's history, frames begin at the encoder.
        let captured = frames("ingest", "captured").isEmpty ? frames("encoder", "received") : frames("ingest", "captured")
        let capturedSet = Set(captured.map(\.sequence))
        let published = Dictionary(grouping: events.filter { $0.event == "published" }, by: \.sequence)
        let dropped = Dictionary(grouping: events.filter { $0.event == "dropped" }, by: \.sequence)
        let sentTimes = Dictionary(frames("encoder", "sent").map { ($0.sequence, $0.microseconds) }, uniquingKeysWith: min)
        report.captured += capturedSet.count

        var unanswered: [UInt64] = []
        for sequence in capturedSet.sorted() {
            let frame = Frame(node: node, sequence: sequence)
            let answers = published[sequence] ?? []
            let drops = dropped[sequence] ?? []
            if answers.count > 1 { report.publishedTwice.append(frame) }
            if drops.count > 1 { report.droppedTwice.append(frame) }
            if !answers.isEmpty && !drops.isEmpty { report.droppedAndPublished.append(frame) }
            if let answer = answers.first {
                report.published += 1
                if answer.details["error"] == "1" {
                    report.errorResults += 1
                } else if !requiredTopics.isSubset(of: Set((answer.details["topics"] ?? "").split(separator: ",").map(String.init))) {
                    report.missingTopics.append(frame)
                }
            } else if let drop = drops.first {
                report.droppedByReason[drop.details["reason"] ?? "unnamed", default: 0] += 1
            } else {
                unanswered.append(sequence)
            }
        }
        // Latents sent and never answered are covered by the write-offs that followed them, newest first.
        var uncovered = Set(unanswered)
        for writeOff in frames("encoder", "written_off") {
            var count = Int(writeOff.details["count"] ?? "") ?? 0
            let candidates = uncovered.filter { sentTimes[$0].map { $0 <= writeOff.microseconds } ?? false }.sorted(by: >)
            for sequence in candidates where count > 0 && sequence <= writeOff.sequence {
                uncovered.remove(sequence)
                count -= 1
                report.writtenOff += 1
            }
        }
        report.lost += uncovered.sorted().map { Frame(node: node, sequence: $0) }
        report.neverCaptured += published.keys.filter { !capturedSet.contains($0) }.sorted().map { Frame(node: node, sequence: $0) }

        let sentOrder = frames("encoder", "sent").map(\.sequence)
        if sentOrder != sentOrder.sorted() || Set(sentOrder).count != sentOrder.count {
            report.outOfOrder.append("\(node): the encoder sent frames out of capture order or twice")
        }
        let publishedOrder = events.filter { $0.event == "published" }.map(\.sequence)
        if publishedInOrder && publishedOrder != publishedOrder.sorted() {
            report.outOfOrder.append("\(node): Results published out of capture order")
        }
    }

    /// Seconds from `faultEnded` (µs) to the first frame of `node` sent after it that was then published:
    /// how long the node took to resume by itself. `nil` when none was.
    public static func resumeSeconds(_ events: [HistoryEvent], node: String, after faultEnded: Int64) -> Double? {
        let published = Set(events.filter { $0.node == node && $0.event == "published" && $0.details["error"] != "1" }.map(\.sequence))
        let resumed = events.filter { $0.node == node && $0.stage == "encoder" && $0.event == "sent" && $0.microseconds >= faultEnded }
            .filter { published.contains($0.sequence) }.map(\.microseconds).min()
        return resumed.map { Double($0 - faultEnded) / 1_000_000 }
    }
}
