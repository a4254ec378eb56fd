import LadonEncoder
import Shared
import TestSupport
import Testing

/// The node's rules without sockets: credit, session, held frames, drops and the shaped link.
@Suite struct NodeCreditTests {
    @Test func aCreditFirstReturnsWhatIsInFlightAndTheRestIsNewCredit() {
        var credit = NodeCredit(window: 3)
        #expect({ credit.receive(grants: 2) }())
        credit.spend()
        credit.spend()
        #expect(credit.credits == 0 && credit.inFlight == 2 && !credit.canSend)
        #expect({ credit.receive(grants: 1) }())
        #expect(credit.credits == 1 && credit.inFlight == 1)
    }

    @Test func aGrantPastTheWindowIsRefusedAndTheWindowKept() {
        var credit = NodeCredit(window: 2)
        #expect({ !credit.receive(grants: 5) }())
        #expect(credit.credits == 2 && credit.inFlight == 0)
    }

    @Test func theNodeNeverHoldsMoreThanItsWindowWhateverTheBrokerGrants() {
        var generator = SplitMix64(seed: 5)
        var credit = NodeCredit(window: 4)
        for _ in 0..<10_000 {
            if generator.next() % 2 == 0 {
                _ = credit.receive(grants: Int(generator.next() % 6))
            } else if credit.canSend {
                credit.spend()
            }
            #expect(credit.credits >= 0 && credit.inFlight >= 0 && credit.credits + credit.inFlight <= 4)
        }
    }

    @Test func endingTheSessionWritesOffWhatIsInFlight() {
        var credit = NodeCredit(window: 3)
        _ = credit.receive(grants: 3)
        credit.spend()
        credit.spend()
        #expect({ credit.reset() == 2 }())
        #expect(credit.credits == 0 && credit.inFlight == 0 && !credit.isCredited)
    }
}

@Suite struct NodeSessionTests {
    @Test func helloIsRepeatedEachIntervalUntilTheFirstCreditThenHeartbeatsFillSilences() {
        var session = NodeSession(window: 2, now: 0, helloInterval: 1, heartbeatInterval: 1)
        guard case let .hello(incarnation)? = session.due(now: 0) else {
            Issue.record("no hello at the start")
            return
        }
        session.said(.hello(incarnation: incarnation), now: 0)
        #expect(session.due(now: 0.5) == nil)
        #expect(session.due(now: 1.0) == .hello(incarnation: incarnation), "the same incarnation until a credit")
        _ = session.receive(grants: 2)
        #expect(session.due(now: 1.0) == .heartbeat(sequence: 1), "a credited node silent for a second beats")
        session.said(.heartbeat(sequence: 1), now: 1.0)
        session.sent(now: 1.5)
        #expect(session.due(now: 2.2) == nil, "a latent counts as something said")
        #expect(session.due(now: 2.5) == .heartbeat(sequence: 2))
    }

    @Test func aByeAfterACreditEndsTheSessionAndANewIncarnationSaysHello() {
        var session = NodeSession(window: 2, now: 0)
        let first = session.incarnation
        _ = session.receive(grants: 2)
        session.spendCredit()
        #expect({ session.brokerSaidBye(reason: "connection replaced", now: 5) == .ended(writtenOff: 1) }())
        #expect(session.incarnation != first)
        #expect(session.due(now: 5) == .hello(incarnation: session.incarnation), "hello again at once")
    }

    @Test func aByeBeforeAnyCreditIsARefusalLoggedOncePerReasonOrEveryThirtySeconds() {
        var session = NodeSession(window: 1, now: 0)
        #expect({ session.brokerSaidBye(reason: "id in use", now: 0) == .refused(log: true) }())
        #expect({ session.brokerSaidBye(reason: "id in use", now: 1) == .refused(log: false) }())
        #expect({ session.brokerSaidBye(reason: "another reason", now: 2) == .refused(log: true) }())
        #expect({ session.brokerSaidBye(reason: "another reason", now: 33) == .refused(log: true) }())
        #expect(!session.credit.isCredited)
    }
}

@Suite struct HeldFramesTests {
    static func frame(_ sequence: UInt64) -> FrameMessage {
        FrameMessage(header: FrameHeader(nodeID: "cam", sequence: sequence), jpeg: [0xFF])
    }

    @Test func theFreshestPolicyKeepsOnlyTheNewestFrameAndCountsTheOneItReplaces() {
        var held = HeldFrames(capacity: 1)
        #expect({ held.hold(Self.frame(1)) == nil }())
        #expect({ held.hold(Self.frame(2))?.header.sequence == 1 }())
        #expect({ held.next()?.header.sequence == 2 }())
        #expect({ held.next() == nil }())
    }

    @Test func theQueuePolicyKeepsEveryFrameInOrderUpToItsCap() {
        var held = HeldFrames(capacity: 3)
        let dropped = (1...4).map { held.hold(Self.frame($0))?.header.sequence }
        #expect(dropped == [nil, nil, nil, 1])
        #expect({ [held.next(), held.next(), held.next()].map { $0?.header.sequence } == [2, 3, 4] }())
    }

    @Test func eachDropIsReportedOnceOnTheNextLatentAndCountedForever() {
        var drops = DropLedger()
        drops.add(3)
        drops.add(1)
        #expect({ drops.report() == 4 }())
        #expect({ drops.report() == 0 }())
        drops.add(2)
        #expect(drops.total == 6 && drops.unreported == 2)
    }
}

@Suite struct LinkOutboxTests {
    static func latent(_ bytes: Int) -> Envelope { Envelope(kind: .latent, payload: [UInt8](repeating: 1, count: bytes - 6)) }

    /// The shaped link on a clock of the test's own: each latent leaves when its last byte would have
    /// crossed a serial link of the rate (16 kbit/s = 2000 bytes a second, no burst).
    @Test func latentsLeaveWhenALinkOfTheRateWouldHaveCarriedThem() {
        var outbox = LinkOutbox(kilobitsPerSecond: 16, burstBytes: 0, now: 0)
        for bytes in [1000, 500, 2000] { outbox.enqueue(Self.latent(bytes), sequence: UInt64(bytes), now: 0) }
        var now = 0.0
        var released: [Double] = []
        while !outbox.isEmpty {
            switch outbox.next(now: now) {
            case .send:
                released.append(now)
                _ = outbox.sent(now: now)
            case let .wait(until):
                #expect(until > now)
                now = until
            case .idle:
                Issue.record("idle with latents queued")
                return
            }
        }
        #expect(released.count == 3)
        for (time, expected) in zip(released, [0.5, 0.75, 1.75]) { #expect(abs(time - expected) < 1e-9, "\(released)") }
    }

    @Test func anUnshapedLinkSendsAtOnceAndEmptyingNamesWhatWasWaiting() {
        var outbox = LinkOutbox(kilobitsPerSecond: nil, burstBytes: 0, now: 0)
        #expect(outbox.next(now: 0) == .idle)
        outbox.enqueue(Self.latent(100), sequence: 1, now: 1)
        outbox.enqueue(Self.latent(100), sequence: 2, now: 1)
        #expect(outbox.next(now: 1) == .send(Self.latent(100).frames()))
        let (sequence, bytes, waited) = outbox.sent(now: 1.25)
        #expect(sequence == 1 && bytes == 100 && abs(waited - 0.25) < 1e-12)
        #expect({ outbox.removeAll() == [2] && outbox.isEmpty }())
    }
}
