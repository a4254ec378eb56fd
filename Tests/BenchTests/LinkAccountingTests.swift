import LadonBench
import Testing

/// The link benchmark's accounting without sockets or clocks. A link of 8 kbps carries 1000 bytes a
/// second, so a message of n bytes is on it for n / 1000 s and every figure below is exact in binary.
@Suite struct LinkWindowTests {
    let rate = 8.0

    @Test func utilisationIsTheShareOfTheWindowTheLinkSpentCarryingLatents() {
        let window = LinkWindow(from: 10, to: 20, kilobitsPerSecond: rate)
        // On the link over [11, 13], [14, 17] and [18, 20]: 7 of the window's 10 seconds.
        let transmissions = [
            LinkTransmission(end: 13, bytes: 2000), LinkTransmission(end: 17, bytes: 3000), LinkTransmission(end: 20, bytes: 2000),
        ]
        #expect(window.busySeconds(transmissions) == 7)
        #expect(window.utilisation(transmissions) == 0.7)
        #expect(window.carriedBytes(transmissions) == 7000)
    }

    @Test func aLinkBusyBackToBackIsFullyUsedAndAGapLowersItByExactlyItsShare() {
        let window = LinkWindow(from: 0, to: 16, kilobitsPerSecond: rate)
        let busy = (1...8).map { LinkTransmission(end: Double(2 * $0), bytes: 2000) }
        #expect(window.utilisation(busy) == 1)
        // The latent over [6, 8] never came: 2 of 16 seconds idle.
        let gap = busy.filter { $0.end != 8 }
        #expect(window.utilisation(gap) == 1 - 2.0 / 16)
        #expect(window.carriedBytes(busy) - window.carriedBytes(gap) == 2000)
    }

    @Test func aHugeLatentInFlightCountsOnlyThePartInsideTheWindow() {
        // 100 kB on the link over [50, 150].
        let huge = [LinkTransmission(end: 150, bytes: 100_000)]
        #expect(LinkWindow(from: 60, to: 70, kilobitsPerSecond: rate).utilisation(huge) == 1)
        let straddling = LinkWindow(from: 140, to: 160, kilobitsPerSecond: rate)
        #expect(straddling.utilisation(huge) == 0.5)
        #expect(straddling.carriedBytes(huge) == 10_000)
        #expect(LinkWindow(from: 30, to: 50, kilobitsPerSecond: rate).utilisation(huge) == 0, "it had not started")
        #expect(LinkWindow(from: 150, to: 160, kilobitsPerSecond: rate).utilisation(huge) == 0, "it had crossed")
    }

    @Test func latentsCrossingEitherEdgeCountTheirPartInside() {
        let window = LinkWindow(from: 10, to: 20, kilobitsPerSecond: rate)
        // [8, 12] before the start and [18, 22] after the end: 2 s inside each.
        let transmissions = [LinkTransmission(end: 12, bytes: 4000), LinkTransmission(end: 22, bytes: 4000)]
        #expect(window.utilisation(transmissions) == 0.4)
        #expect(window.finished(transmissions[0]) && !window.finished(transmissions[1]))
    }

    @Test func overlappingTimesOnTheLinkCountOnceSoUtilisationNeverPassesOne() {
        let window = LinkWindow(from: 0, to: 4, kilobitsPerSecond: rate)
        // Arrival times a little late for the first: [0, 2.5] and [2, 4] overlap by half a second.
        let transmissions = [LinkTransmission(end: 2.5, bytes: 2500), LinkTransmission(end: 4, bytes: 2000)]
        #expect(window.busySeconds(transmissions) == 4)
        #expect(window.utilisation(transmissions) == 1)
        #expect(window.utilisation(transmissions + transmissions) == 1, "the same latent twice is still one")
    }

    @Test func theWindowsFramesAreTheLatentsThatFinishedCrossingInIt() {
        let window = LinkWindow(from: 10, to: 20, kilobitsPerSecond: rate)
        #expect(window.finished(LinkTransmission(end: 10, bytes: 5000)))
        #expect(!window.finished(LinkTransmission(end: 20, bytes: 5000)), "the end belongs to the next window")
        #expect(window.firstByte(of: LinkTransmission(end: 20, bytes: 5000)) == 15)
    }
}

@Suite struct ModeFiguresTests {
    func frame(_ sequence: UInt64, captured: Double, end: Double, received: Double, dropped: UInt64 = 0, failed: Bool = false)
        -> DeliveredFrame
    {
        DeliveredFrame(
            sequence: sequence, captured: captured, received: received, transmission: LinkTransmission(end: end, bytes: 2000),
            droppedBefore: dropped, failed: failed)
    }

    @Test func framesDropsAndLatencyAreThoseOfTheLatentsThatFinishedInTheWindow() {
        let window = LinkWindow(from: 10, to: 20, kilobitsPerSecond: 8)
        let delivered = [
            frame(1, captured: 7, end: 9.5, received: 9.75, dropped: 100),  // before the window: its drops are not this window's
            frame(2, captured: 10, end: 12, received: 12.5, dropped: 3),
            frame(3, captured: 12.5, end: 14.5, received: 15, dropped: 4),
            frame(4, captured: 15, end: 17, received: 18, dropped: 5),
            frame(5, captured: 18, end: 20, received: 20.5, dropped: 6),  // finished at the window's end: the next one's
        ]
        let figures = ModeFigures(delivered, window: window)
        #expect(figures.frames == 3)
        #expect(figures.drops == 12)
        #expect(figures.errors == 0)
        // On the link over [7.5, 9.5], [10, 12], [12.5, 14.5], [15, 17], [18, 20]: 8 s of 10.
        #expect(figures.utilisation == 0.8)
        #expect(figures.latencyP50 == 2500)
        #expect(figures.latencyP90 == 3000)
    }

    @Test func anErrorResultIsCountedAsAnErrorNotAFrameButItsLatentStillUsedTheLink() {
        let window = LinkWindow(from: 0, to: 4, kilobitsPerSecond: 8)
        let delivered = [frame(1, captured: 0, end: 2, received: 2.5), frame(2, captured: 2, end: 4 - 0.5, received: 4, failed: true)]
        let figures = ModeFigures(delivered, window: window)
        #expect(figures.frames == 1 && figures.errors == 1)
        #expect(figures.utilisation == 0.875)
        #expect(figures.latencyP50 == 2500)
    }
}

@Suite struct UnloadedFramesTests {
    @Test func onlyFramesCapturedAfterEveryEarlierResultReachedTheSinkAreAloneAndTheFirstIsLeftOut() {
        func frame(_ sequence: UInt64, captured: Double, received: Double) -> DeliveredFrame {
            DeliveredFrame(sequence: sequence, captured: captured, received: received, transmission: nil)
        }
        let delivered = [
            frame(1, captured: 0, received: 2),  // the first: warms the stages up
            frame(2, captured: 4, received: 6),
            frame(3, captured: 5.5, received: 8),  // captured while frame 2 was still on its way
            frame(4, captured: 8, received: 10),
        ]
        #expect(UnloadedFrames.alone(delivered).map(\.sequence) == [2, 4])
        #expect(UnloadedFrames.alone(delivered.reversed()).map(\.sequence) == [2, 4], "in capture order, whatever the arrival order")
    }

    @Test func percentilesAreNearestRankAsTheSinkComputesThem() {
        let values = [5.0, 1, 4, 2, 3, 6, 7, 8, 9, 10]
        #expect(Percentile.nearestRank(values, 50) == 5)
        #expect(Percentile.nearestRank(values, 90) == 9)
        #expect(Percentile.nearestRank([3], 90) == 3)
        #expect(Percentile.nearestRank([], 50) == nil)
    }
}

@Suite struct LinkPlanTests {
    @Test func theDefaultWindowHoldsThirtyMeanLatentsAndTheUnloadedFramesAreFarApart() {
        let configuration = LinkBenchmark.Configuration(model: "m")
        let plan = LinkBenchmark.Plan(configuration, meanLinkSeconds: 1.5, maximumLinkSeconds: 2)
        #expect(plan.secondsPerMode == 45)
        #expect(plan.warmupSeconds == 4)
        #expect(plan.unloadedPeriodSeconds == 5)
        #expect(LinkBenchmark.Plan(configuration, meanLinkSeconds: 0.1, maximumLinkSeconds: 0.1).secondsPerMode == 30)
        var given = configuration
        given.secondsPerMode = 7
        given.holdMilliseconds = 500
        let explicit = LinkBenchmark.Plan(given, meanLinkSeconds: 1.5, maximumLinkSeconds: 2)
        #expect(explicit.secondsPerMode == 7)
        #expect(explicit.unloadedPeriodSeconds == 6, "a slower edge spaces the unloaded frames further")
    }
}

@Suite struct RunEndingTests {
    @Test func aWindowRunEndsOneSlowestTurnAfterALatentThatStartedCrossingAfterTheWindowIsAnswered() {
        // 8 kbps: 2000-byte latents take 2 s. The window opens 1 s after the first arrival (at 2) and lasts 6 s: [3, 9].
        var ending = RunEnding(.window(warmup: 1, seconds: 6, kilobitsPerSecond: 8, patience: 20), startedAt: 0, firstResultWithin: 60)
        func done(at now: Double, _ ends: [Double]) -> Bool {
            ending.isDone(now: now, answered: ends.map { LinkTransmission(end: $0, bytes: 2000) }, slowestTurn: 0.5)
        }
        #expect(!done(at: 5, [2, 4]))
        #expect(ending.window == LinkWindow(from: 3, to: 9, kilobitsPerSecond: 8))
        #expect(!done(at: 10.5, [2, 4, 6, 8, 10]), "the last latent started at 8, inside the window")
        #expect(!done(at: 12.5, [2, 4, 6, 8, 10, 12]), "one started at 10: wait a turn for stragglers")
        #expect(done(at: 13.75, [2, 4, 6, 8, 10, 12]))
        #expect(!ending.cutShort)
    }

    @Test func aRunWithoutResultsOrPastItsPatienceIsCutShort() {
        let one = [LinkTransmission(end: 2, bytes: 2000)]
        var silent = RunEnding(.answered(3, within: 10), startedAt: 100, firstResultWithin: 30)
        #expect({ !silent.isDone(now: 129, answered: [], slowestTurn: 0) }())
        #expect({ silent.isDone(now: 131, answered: [], slowestTurn: 0) }() && silent.cutShort)

        var stalled = RunEnding(.window(warmup: 0, seconds: 4, kilobitsPerSecond: 8, patience: 5), startedAt: 0, firstResultWithin: 30)
        #expect({ !stalled.isDone(now: 10, answered: one, slowestTurn: 0) }())
        #expect({ stalled.isDone(now: 11.5, answered: one, slowestTurn: 0) }() && stalled.cutShort)

        var counted = RunEnding(.answered(2, within: 10), startedAt: 0, firstResultWithin: 30)
        #expect({ counted.isDone(now: 5, answered: one + one, slowestTurn: 0) }() && !counted.cutShort)
    }
}
