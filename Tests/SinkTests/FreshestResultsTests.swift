import LadonSink
import Testing

/// The subscriber's mailbox: the newest Results per topic, skips counted, oldest arrival first.
@Suite struct FreshestResultsTests {
    static func bytes(_ value: UInt8) -> [UInt8] { [value] }

    @Test func aSlowReaderGetsOnlyTheNewestOfEachTopicWithTheSkipsCounted() {
        let mailbox = FreshestResults()
        for value in 1...5 { mailbox.offer(topic: "cam-a/all", payload: Self.bytes(UInt8(value))) }
        mailbox.offer(topic: "cam-b/all", payload: Self.bytes(9))
        let taken = mailbox.take()
        #expect(taken.map(\.topic) == ["cam-a/all", "cam-b/all"])
        #expect(taken.map(\.payload) == [[5], [9]])
        #expect(taken.map(\.skipped) == [4, 0])
        #expect(mailbox.skipped == 4)
        #expect(mailbox.take().isEmpty)
    }

    @Test func skipsAreReportedOnceOnTheNextResultOfTheirTopic() {
        let mailbox = FreshestResults()
        mailbox.offer(topic: "t", payload: [1])
        mailbox.offer(topic: "t", payload: [2])
        #expect(mailbox.take().map(\.skipped) == [1])
        mailbox.offer(topic: "t", payload: [3])
        #expect(mailbox.take().map(\.skipped) == [0])
        #expect(mailbox.skipped == 1)
    }

    @Test func aDeepMailboxKeepsEveryResultInArrivalOrderUntilItIsFull() {
        let mailbox = FreshestResults(depth: 3)
        mailbox.offer(topic: "a", payload: [1])
        mailbox.offer(topic: "b", payload: [2])
        mailbox.offer(topic: "a", payload: [3])
        mailbox.offer(topic: "a", payload: [4])
        #expect(mailbox.take().map(\.payload) == [[1], [2], [3], [4]])
        for value in 5...8 { mailbox.offer(topic: "a", payload: [UInt8(value)]) }
        let taken = mailbox.take()
        #expect(taken.map(\.payload) == [[6], [7], [8]])
        #expect(taken.map(\.skipped) == [1, 0, 0])
    }

    @Test func takingWithALimitLeavesTheRestWaitingToBeReplaced() {
        let mailbox = FreshestResults()
        mailbox.offer(topic: "a", payload: [1])
        mailbox.offer(topic: "b", payload: [2])
        #expect(mailbox.take(limit: 1).map(\.payload) == [[1]])
        mailbox.offer(topic: "b", payload: [3])
        let rest = mailbox.take(limit: 1)
        #expect(rest.map(\.payload) == [[3]])
        #expect(rest.map(\.skipped) == [1])
        #expect(mailbox.take().isEmpty)
    }
}
