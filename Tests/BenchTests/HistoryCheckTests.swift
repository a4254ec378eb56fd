import LadonBench
import Testing

/// The history checker on histories written by hand: each rule fails on the history that breaks it.
@Suite struct HistoryCheckTests {
    static let topics = "all,classification,detection,segmentation"

    /// Ingest captures 1...n, the encoder sends each, the sink publishes each, a millisecond apart.
    static func clean(_ frames: Int) -> [String] {
        var lines: [String] = []
        var time = 1_000
        for sequence in 1...frames {
            lines.append("\(time) ingest captured cam \(sequence)")
            lines.append("\(time + 1) encoder received cam \(sequence)")
            lines.append("\(time + 2) encoder sent cam \(sequence)")
            lines.append("\(time + 3) sink published cam \(sequence) topics=\(topics) error=0")
            time += 10
        }
        return lines
    }

    static func check(_ lines: [String], inOrder: Bool = true) -> HistoryCheck.Report {
        HistoryCheck(publishedInOrder: inOrder).check(lines.joined(separator: "\n"))
    }

    @Test func aHistoryWhereEveryFrameIsPublishedOncePasses() {
        let report = Self.check(Self.clean(5))
        #expect(report.passed, "\(report.summary)")
        #expect(report.captured == 5 && report.published == 5)
    }

    @Test func aFrameNeitherPublishedNorDroppedIsLost() {
        let report = Self.check(Self.clean(3).filter { $0 != "1023 sink published cam 3 topics=\(Self.topics) error=0" })
        #expect(report.lost.map(\.description) == ["cam#3"], "\(report.summary)")
        #expect(!report.passed)
    }

    @Test func aDropWithItsReasonAccountsForAFrame() {
        var lines = Self.clean(2)
        lines.append("2000 ingest captured cam 3")
        lines.append("2001 encoder dropped cam 3 reason=superseded")
        let report = Self.check(lines)
        #expect(report.passed, "\(report.summary)")
        #expect(report.droppedByReason == ["superseded": 1])
    }

    @Test func aResultPublishedTwiceOrDroppedAndPublishedFails() {
        var twice = Self.clean(2)
        twice.append("3000 sink published cam 2 topics=\(Self.topics) error=0")
        #expect(Self.check(twice).publishedTwice.map(\.description) == ["cam#2"])
        var both = Self.clean(2)
        both.append("3000 encoder dropped cam 1 reason=oversized")
        #expect(Self.check(both).droppedAndPublished.map(\.description) == ["cam#1"])
    }

    @Test func aResultWithoutEveryTasksTopicFailsUnlessItIsAnErrorResult() {
        var lines = Self.clean(1)
        lines[3] = "1003 sink published cam 1 topics=all,classification error=0"
        #expect(Self.check(lines).missingTopics.map(\.description) == ["cam#1"])
        lines[3] = "1003 sink published cam 1 topics=all error=1"
        let report = Self.check(lines)
        #expect(report.passed && report.errorResults == 1, "\(report.summary)")
    }

    @Test func aWriteOffCoversOnlyAsManyOfTheLatentsSentBeforeItAsItCounts() {
        var lines = Self.clean(1)
        for sequence in 2...4 {
            lines.append("\(2000 + sequence) ingest captured cam \(sequence)")
            lines.append("\(2010 + sequence) encoder sent cam \(sequence)")
        }
        lines.append("2100 encoder written_off cam 4 count=2")
        let report = Self.check(lines)
        #expect(report.writtenOff == 2)
        #expect(report.lost.map(\.description) == ["cam#2"], "\(report.summary)")
    }

    @Test func framesSentOrPublishedOutOfCaptureOrderFail() {
        var lines = Self.clean(3)
        lines.swapAt(6, 10)  // the encoder's sends of 2 and 3 trade places in time
        lines[6] = "1012 encoder sent cam 3"
        lines[10] = "1022 encoder sent cam 2"
        #expect(Self.check(lines).outOfOrder.count == 1, "\(Self.check(lines).summary)")
        var published = Self.clean(3)
        published[7] = "1030 sink published cam 2 topics=\(Self.topics) error=0"
        #expect(Self.check(published).outOfOrder.count == 1)
        #expect(Self.check(published, inOrder: false).passed)
    }

    @Test func aResultOfAFrameNeverCapturedFailsAndATornLineIsCounted() {
        var lines = Self.clean(1)
        lines.append("5000 sink published cam 9 topics=\(Self.topics) error=0")
        lines.append("5001 encoder sen")
        let report = Self.check(lines)
        #expect(report.neverCaptured.map(\.description) == ["cam#9"])
        #expect(report.unreadableLines == 1)
    }

    @Test func resumingIsTheFirstPublishedFrameSentAfterTheFault() {
        let (events, _) = HistoryCheck.events(in: Self.clean(5).joined(separator: "\n"))
        #expect(HistoryCheck.resumeSeconds(events, node: "cam", after: 1_020) == 2e-6)
        #expect(HistoryCheck.resumeSeconds(events, node: "cam", after: 9_000) == nil)
    }
}
