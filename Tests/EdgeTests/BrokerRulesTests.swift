import LadonEdge
import Shared
import Testing

/// The broker's rules without sockets: credit, node sessions and ids, dispatch.
@Suite struct CreditLedgerTests {
    @Test func everyAcceptedLatentReturnsItsCreditExactlyOnce() {
        var ledger = CreditLedger()
        #expect({ ledger.grantsDue(allowance: 3) == 3 }())
        ledger.granted(3)
        let tickets = (0..<3).compactMap { _ in ledger.accept() }
        #expect(tickets.count == 3 && Set(tickets).count == 3)
        #expect({ ledger.accept() == nil }(), "a fourth latent came without credit")
        #expect({ ledger.settle(tickets[0]) }())
        #expect({ !ledger.settle(tickets[0]) }(), "a second answer for the same latent returns nothing")
        #expect(ledger.outstanding == 2 && ledger.inBroker == 2)
        #expect({ ledger.grantsDue(allowance: 3) == 1 }())
    }

    @Test func theAllowanceAKeptNodeHasOnlyGrows() {
        var ledger = CreditLedger()
        ledger.granted(ledger.grantsDue(allowance: 4))
        #expect({ ledger.grantsDue(allowance: 2) == 0 }(), "credit is never taken back")
        #expect(ledger.target == 4)
    }

    @Test func aNewSessionForgetsTheTicketsOfTheOldOne() {
        var ledger = CreditLedger()
        ledger.granted(ledger.grantsDue(allowance: 2))
        let old = ledger.accept()
        ledger.reset()
        ledger.granted(ledger.grantsDue(allowance: 2))
        let new = ledger.accept()
        #expect(old != nil && new != nil && old != new)
        #expect({ !ledger.settle(old!) }(), "the old session's latent returns no credit")
        #expect({ ledger.settle(new!) }())
    }

    @Test(arguments: [(4, 2, 1, 4), (4, 2, 2, 2), (4, 1, 3, 1), (1, 8, 1, 1), (8, 0, 1, 1)])
    func theWorkersCapacityIsSharedEvenlyCappedByTheWindowAndNeverBelowOne(window: Int, workers: Int, nodes: Int, expected: Int) {
        let capacities = Array(repeating: 1, count: workers)
        #expect(CreditPolicy.allowance(window: window, workerCapacities: capacities, activeNodes: nodes) == expected)
    }

    /// What a batching worker holds, plus one frame waiting for it: 8 + 1 for one worker of capacity 8.
    @Test(arguments: [([8], 1, 16, 9), ([8], 4, 16, 3), ([8], 8, 1, 1), ([8, 1], 2, 16, 6), ([4, 4], 8, 16, 2)])
    func aBatchingWorkerIsCreditedWhatItHoldsPlusOneWaiting(capacities: [Int], nodes: Int, window: Int, expected: Int) {
        #expect(CreditPolicy.allowance(window: window, workerCapacities: capacities, activeNodes: nodes) == expected)
    }
}

@Suite struct NodeSessionsTests {
    static func hello(
        _ sessions: inout NodeSessions, route: String, incarnation: UInt64 = 1, now: Double = 0, connected: Bool = true
    ) -> NodeSessions.HelloOutcome {
        sessions.hello(id: "cam", route: route, incarnation: incarnation, window: 2, now: now, isConnected: { _ in connected })
    }

    @Test func aSecondLiveProcessIsRefusedCountedOnceAndTakesTheIDWhenTheHolderIsGone() {
        var sessions = NodeSessions()
        #expect({ Self.hello(&sessions, route: "cam#a") == .joined }())
        #expect({ Self.hello(&sessions, route: "cam#b", now: 1) == .refused(holder: "cam#a", firstRefusal: true, log: true) }())
        #expect({ Self.hello(&sessions, route: "cam#b", now: 2) == .refused(holder: "cam#a", firstRefusal: false, log: false) }())
        sessions.heard(from: "cam#a", now: 39)  // the holder heartbeats
        #expect({ Self.hello(&sessions, route: "cam#b", now: 40) == .refused(holder: "cam#a", firstRefusal: false, log: true) }())
        #expect({ Self.hello(&sessions, route: "cam#b", now: 41, connected: false) == .tookOver(previousRoute: "cam#a") }())
        #expect(sessions.node(route: "cam#a") == nil && sessions["cam"]?.route == "cam#b")
    }

    @Test func aSilentOrDepartedHolderLosesItsIDWithoutItsConnectionBeingAsked() {
        var sessions = NodeSessions()
        _ = Self.hello(&sessions, route: "cam#a")
        let outcome = sessions.hello(id: "cam", route: "cam#b", incarnation: 2, window: 2, now: 11) { _ in
            Issue.record("a holder silent past the limit is not asked")
            return true
        }
        #expect(outcome == .tookOver(previousRoute: "cam#a"))
        #expect({ sessions.bye(route: "cam#b") == "cam" }())
        #expect({ Self.hello(&sessions, route: "cam#c", now: 12) == .tookOver(previousRoute: "cam#b") }(), "it said Bye")
    }

    @Test func aRepeatedHelloChangesNothingAndANewIncarnationStartsANewSession() {
        var sessions = NodeSessions()
        _ = Self.hello(&sessions, route: "cam#a")
        sessions.granted("cam", sessions.grantsDue("cam", allowance: 2))
        #expect({ Self.hello(&sessions, route: "cam#a") == .repeated }())
        #expect(sessions["cam"]?.credit.outstanding == 2)
        #expect({ Self.hello(&sessions, route: "cam#a", incarnation: 9) == .newSession }())
        #expect(sessions["cam"]?.credit.outstanding == 0, "the new session starts from nothing")
    }

    @Test func aReconnectedNodeGetsNoCreditUntilItsNextHello() {
        var sessions = NodeSessions()
        _ = Self.hello(&sessions, route: "cam#a")
        #expect({ sessions.reconnected(route: "cam#a", now: 1) != nil }())
        #expect(sessions.lacksSession(route: "cam#a"))
        #expect({ sessions.grantsDue("cam", allowance: 2) == 0 }())
        #expect({ Self.hello(&sessions, route: "cam#a", now: 2) == .rejoined }())
        #expect({ sessions.grantsDue("cam", allowance: 2) == 2 }())
    }

    @Test func aTicketOfAnEndedSessionReturnsNoCredit() {
        var sessions = NodeSessions()
        _ = Self.hello(&sessions, route: "cam#a")
        sessions.granted("cam", sessions.grantsDue("cam", allowance: 2))
        let ticket = sessions.accept("cam")
        _ = Self.hello(&sessions, route: "cam#a", incarnation: 5)
        #expect({ ticket != nil && !sessions.settle(ticket!) }())
    }

    @Test func sessionRequestsAreRateLimitedUnlessForced() {
        var sessions = NodeSessions(sessionRequestInterval: 1)
        #expect({ sessions.shouldRequestSession(route: "r", now: 0) }())
        #expect({ !sessions.shouldRequestSession(route: "r", now: 0.5) }())
        #expect({ sessions.shouldRequestSession(route: "r", now: 0.6, force: true) }())
        #expect({ sessions.shouldRequestSession(route: "r", now: 1.7) }())
    }
}

@Suite struct DispatcherTests {
    static func job(_ node: String, _ serial: UInt64, arrivedAt: Double = 0) -> PendingLatent {
        let latent = LatentMessage(
            header: FrameHeader(nodeID: node, sequence: serial), model: ModelIdentity(backbone: "b", beta: 1, weightsHash: 1),
            originalSize: ImageSize(height: 1, width: 1), inputSize: ImageSize(height: 32, width: 32),
            resizedSize: ImageSize(height: 1, width: 1), latentShape: [1, 7, 7], coded: [])
        return PendingLatent(
            ticket: CreditTicket(nodeID: node, incarnation: 1, serial: serial), latent: latent, bytes: [],
            arrivedAt: arrivedAt, arrivedWallMicroseconds: 0)
    }

    @Test func nodesUnderOverloadTakeTheWorkersInTurn() {
        var dispatcher = Dispatcher()
        for serial in UInt64(1)...6 { dispatcher.enqueue(Self.job("a", serial)) }
        for serial in UInt64(1)...2 { dispatcher.enqueue(Self.job("b", serial)) }
        dispatcher.join("w", name: "w", now: 0)
        dispatcher.ready("w")
        var order: [String] = []
        while let (worker, job) = dispatcher.assign(now: 0) {
            order.append("\(job.nodeID)\(job.latent.header.sequence)")
            let finished = dispatcher.finished(worker)
            #expect(finished?.ticket == job.ticket)
        }
        #expect(order == ["a1", "b1", "a2", "b2", "a3", "a4", "a5", "a6"])
    }

    @Test func aDeadWorkersLatentGoesFirstToTheNextWorkerAndASecondDeathFailsIt() {
        var dispatcher = Dispatcher()
        dispatcher.enqueue(Self.job("a", 1))
        dispatcher.enqueue(Self.job("a", 2))
        for worker in ["w1", "w2", "w3"] {
            dispatcher.join(worker, name: worker, now: 0)
        }
        dispatcher.ready("w1")
        let first = dispatcher.assign(now: 0)
        #expect(first?.job.latent.header.sequence == 1)
        guard case let .retried(job)? = dispatcher.remove("w1").first else {
            Issue.record("the first death retries")
            return
        }
        #expect(job.latent.header.sequence == 1)
        dispatcher.ready("w2")
        let retry = dispatcher.assign(now: 1)
        #expect(retry?.job.latent.header.sequence == 1, "the retried latent goes before the next one")
        guard case let .failed(failed)? = dispatcher.remove("w2").first else {
            Issue.record("the second death fails the latent")
            return
        }
        #expect(failed.attempts == 2)
        dispatcher.ready("w3")
        let next = dispatcher.assign(now: 2)
        #expect(next?.job.latent.header.sequence == 2)
    }

    @Test func aLatentThatCouldNotBeSentGoesBackUntried() {
        var dispatcher = Dispatcher()
        dispatcher.enqueue(Self.job("a", 1))
        dispatcher.join("w", name: "w", now: 0)
        dispatcher.ready("w")
        let sent = dispatcher.assign(now: 0)
        dispatcher.unassign("w", jobID: sent?.job.jobID ?? 0)
        let losses = dispatcher.remove("w")
        #expect(losses.isEmpty)
        dispatcher.join("v", name: "v", now: 0)
        dispatcher.ready("v")
        let again = dispatcher.assign(now: 0)
        #expect(again?.job.attempts == 1)
    }

    @Test func latentsWaitingWithoutAnyWorkerExpireAfterTheTimeout() {
        var dispatcher = Dispatcher()
        dispatcher.enqueue(Self.job("a", 1, arrivedAt: 0))
        dispatcher.enqueue(Self.job("a", 2, arrivedAt: 5))
        let expired = dispatcher.expireWithoutWorkers(now: 12, timeout: 10)
        #expect(expired.map(\.latent.header.sequence) == [1])
        dispatcher.join("w", name: "w", now: 12)
        let kept = dispatcher.expireWithoutWorkers(now: 100, timeout: 10)
        #expect(kept.isEmpty, "a worker is there to take it")
    }

    @Test func shuttingDownTakesEveryLatentStillOwedOnce() {
        var dispatcher = Dispatcher()
        for serial in UInt64(1)...3 { dispatcher.enqueue(Self.job("a", serial)) }
        dispatcher.join("w", name: "w", now: 0)
        dispatcher.ready("w")
        _ = dispatcher.assign(now: 0)
        let owed = dispatcher.takeAll()
        #expect(owed.map(\.latent.header.sequence) == [1, 2, 3])
        let again = dispatcher.takeAll()
        #expect(again.isEmpty)
    }

    /// The sequence numbers of what each worker holds.
    static func held(_ dispatcher: Dispatcher, _ worker: String) -> [UInt64] {
        dispatcher.workers[worker]?.jobs.map(\.latent.header.sequence) ?? []
    }

    @Test func aBatchingWorkerTakesUpToItsCapacityAndEachAnswerFreesOneSlotInAnyOrder() {
        var dispatcher = Dispatcher()
        for serial in UInt64(1)...5 { dispatcher.enqueue(Self.job("a", serial)) }
        dispatcher.join("w", name: "w", now: 0)
        dispatcher.ready("w", capacity: 3)
        var sent: [PendingLatent] = []
        while let (_, job) = dispatcher.assign(now: 0) { sent.append(job) }
        #expect(sent.map(\.latent.header.sequence) == [1, 2, 3])
        #expect(Set(sent.map(\.jobID)).count == 3 && !sent.map(\.jobID).contains(0))
        #expect(dispatcher.readyWorkers.isEmpty, "a worker holding its capacity takes nothing more")
        #expect(dispatcher.finished("w", jobID: sent[1].jobID)?.latent.header.sequence == 2)
        #expect(dispatcher.finished("w", jobID: sent[1].jobID) == nil, "a job is answered once")
        #expect(Self.held(dispatcher, "w") == [1, 3])
        #expect(dispatcher.assign(now: 1)?.job.latent.header.sequence == 4)
        #expect(dispatcher.assign(now: 1) == nil)
    }

    @Test func anAnswerWithoutAJobIDSettlesTheOldestLatentTheWorkerHolds() {
        var dispatcher = Dispatcher()
        for serial in UInt64(1)...2 { dispatcher.enqueue(Self.job("a", serial)) }
        dispatcher.join("w", name: "w", now: 0)
        dispatcher.ready("w", capacity: 2)
        while dispatcher.assign(now: 0) != nil {}
        #expect(dispatcher.finished("w")?.latent.header.sequence == 1)
        #expect(dispatcher.finished("w")?.latent.header.sequence == 2)
        #expect(dispatcher.finished("w") == nil)
    }

    @Test func eachLatentGoesToTheReadyWorkerHoldingTheFewest() {
        var dispatcher = Dispatcher()
        for worker in ["w1", "w2"] {
            dispatcher.join(worker, name: worker, now: 0)
            dispatcher.ready(worker, capacity: 4)
        }
        for serial in UInt64(1)...5 { dispatcher.enqueue(Self.job("a", serial)) }
        var order: [String] = []
        while let (worker, _) = dispatcher.assign(now: 0) { order.append(worker) }
        #expect(order == ["w1", "w2", "w1", "w2", "w1"])
        let finished = dispatcher.finished("w1", jobID: dispatcher.workers["w1"]?.jobs.first?.jobID ?? 0)
        #expect(finished != nil)
        dispatcher.enqueue(Self.job("b", 1))
        dispatcher.enqueue(Self.job("b", 2))
        #expect(dispatcher.assign(now: 1)?.worker == "w1", "w1 now holds 2, w2 holds 2: the first of them")
        #expect(dispatcher.assign(now: 1)?.worker == "w2")
    }

    @Test func aWorkerDyingWithABatchRetriesEachLatentOnceInOrderAndFailsThoseOnTheirSecondDeath() {
        var dispatcher = Dispatcher()
        for serial in UInt64(1)...3 { dispatcher.enqueue(Self.job("a", serial)) }
        dispatcher.join("w1", name: "w1", now: 0)
        dispatcher.ready("w1", capacity: 2)
        while dispatcher.assign(now: 0) != nil {}
        let losses = dispatcher.remove("w1")
        let retried = losses.compactMap { loss -> UInt64? in
            if case let .retried(job) = loss { return job.latent.header.sequence }
            return nil
        }
        #expect(retried == [1, 2])
        dispatcher.join("w2", name: "w2", now: 1)
        dispatcher.ready("w2", capacity: 4)
        var second: [UInt64] = []
        while let (_, job) = dispatcher.assign(now: 1) { second.append(job.latent.header.sequence) }
        #expect(second == [1, 2, 3], "the retried latents go before the one never handed out")
        let failed = dispatcher.remove("w2").compactMap { loss -> UInt64? in
            if case let .failed(job) = loss { return job.latent.header.sequence }
            return nil
        }
        #expect(failed == [1, 2])
        #expect(dispatcher.queued("a") == 1, "latent 3 had one death: it waits for another worker")
    }

    @Test func aReadyFromAWorkerHoldingLatentsHandsThemAllBackInOrder() {
        var dispatcher = Dispatcher()
        for serial in UInt64(1)...3 { dispatcher.enqueue(Self.job("a", serial)) }
        dispatcher.join("w", name: "w", now: 0)
        dispatcher.ready("w", capacity: 2)
        while dispatcher.assign(now: 0) != nil {}
        let lost = dispatcher.ready("w", capacity: 2)
        #expect(lost.map(\.latent.header.sequence) == [1, 2])
        #expect(Self.held(dispatcher, "w").isEmpty && dispatcher.queued("a") == 3)
        var again: [UInt64] = []
        while let (_, job) = dispatcher.assign(now: 1) { again.append(job.latent.header.sequence) }
        #expect(again == [1, 2])
    }

    @Test func shuttingDownTakesEveryLatentABatchingWorkerHoldsOnce() {
        var dispatcher = Dispatcher()
        for serial in UInt64(1)...4 { dispatcher.enqueue(Self.job("a", serial)) }
        dispatcher.join("w", name: "w", now: 0)
        dispatcher.ready("w", capacity: 3)
        while dispatcher.assign(now: 0) != nil {}
        #expect(dispatcher.takeAll().map(\.latent.header.sequence).sorted() == [1, 2, 3, 4])
        #expect(dispatcher.takeAll().isEmpty)
    }
}
