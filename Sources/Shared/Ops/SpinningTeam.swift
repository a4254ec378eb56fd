import Foundation
import Synchronization

/// The helper threads that run `Compute.parallelFor`'s chunks beside the calling thread.
///
/// Why not `DispatchQueue.concurrentPerform` alone: its workers sleep as soon as a loop ends, and waking one
/// took 10-85 µs on a virtual CPU (measured at two threads: 60-85 µs per loop of 50-200 µs chunks), while an
/// official edge frame runs about 1,440 loops. These helpers spin on `word` for `spinNanoseconds` after each
/// chunk, so the next loop reaches them within a cache-line transfer, and only then park on a semaphore.
///
/// One loop holds the team at a time. A loop started while another holds it (nested in a chunk, or from
/// another thread) runs its chunks one after another on its own thread, as nested `concurrentPerform`s ran.
///
/// Invariant for `@unchecked Sendable`: `job` is written only by the thread holding `busy`, and only while no
/// helper can read it: before `word` publishes the loop, and after every participant has counted itself off
/// `pending` (each reads `job` only between the two).
public final class SpinningTeam: @unchecked Sendable {
    /// The team `Compute.parallelFor` uses.
    static let shared = SpinningTeam()

    /// How long a helper spins for the next loop before it parks.
    static let spinNanoseconds: UInt64 = 2_000_000

    /// One loop: `chunk(worker)` for each of `workers` workers.
    private struct Job {
        let chunk: (Int) -> Void
    }

    private final class Helper: Sendable {
        let index: Int
        let sleeping = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
        init(index: Int) { self.index = index }
    }

    private let busy = Atomic<Bool>(false)
    /// The loop's sequence number in the high bits, its number of helper participants in the low 16 bits: one
    /// word, so that a helper reads which loop it is and whether it takes part in it in one load.
    private let word = Atomic<Int>(0)
    private static let participantBits = 16
    private let pending = Atomic<Int>(0)
    private var job: Job?
    private var helpers: [Helper] = []

    /// A team of its own (tests); its helpers start with its first loop and live as long as the process.
    public init() {}

    /// Runs `chunk(0..<workers)`, chunk 0 on the calling thread and chunk i on helper i - 1; returns false, having
    /// run nothing, when another loop holds the team (or for fewer than 2 or more than 65,535 workers).
    public func run(workers: Int, _ chunk: (Int) -> Void) -> Bool {
        guard workers >= 2, workers < 1 << Self.participantBits,
            busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else { return false }
        defer { busy.store(false, ordering: .releasing) }
        let participants = workers - 1
        while helpers.count < participants { startHelper() }
        withoutActuallyEscaping(chunk) { chunk in
            job = Job(chunk: chunk)
            pending.store(participants, ordering: .relaxed)
            let sequence = (word.load(ordering: .relaxed) >> Self.participantBits) + 1
            word.store(sequence << Self.participantBits | participants, ordering: .sequentiallyConsistent)
            for helper in helpers[0..<participants]
            where helper.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
                helper.wake.signal()
            }
            chunk(0)
            var spins = 0
            while pending.load(ordering: .acquiring) > 0 {
                spins += 1
                // A helper that is not running (its core taken by another process) gets the core back sooner.
                if spins > 100_000 { sched_yield() }
            }
            job = nil
        }
        return true
    }

    private func startHelper() {
        let helper = Helper(index: helpers.count)
        helpers.append(helper)
        let seen = word.load(ordering: .acquiring)
        let thread = Thread { [self] in helperLoop(helper, seen: seen) }
        thread.name = "ladon-compute-\(helper.index + 1)"
        thread.stackSize = 8 << 20
        thread.start()
    }

    private func helperLoop(_ helper: Helper, seen start: Int) -> Never {
        var seen = start
        // A helper left out of the last loop (a loop of fewer workers) parks at once instead of spinning.
        var participates = true
        while true {
            seen = nextLoop(after: seen, helper, spinning: participates)
            participates = helper.index < seen & (1 << Self.participantBits - 1)
            guard participates else { continue }
            runChunk(helper.index + 1)
            pending.subtract(1, ordering: .releasing)
        }
    }

    /// A call of its own, so that the helper's copy of the job is released before it counts itself off.
    @inline(never)
    private func runChunk(_ worker: Int) {
        job!.chunk(worker)
    }

    /// Spins until `word` moves on from `seen`, parking once `spinNanoseconds` have passed (at once when not
    /// `spinning`); returns the new word.
    private func nextLoop(after seen: Int, _ helper: Helper, spinning: Bool) -> Int {
        let deadline = DispatchTime.now().uptimeNanoseconds + (spinning ? Self.spinNanoseconds : 0)
        var spins = 0
        while true {
            let current = word.load(ordering: .acquiring)
            if current != seen { return current }
            spins += 1
            guard spins & 255 == 0, DispatchTime.now().uptimeNanoseconds > deadline else { continue }
            // Park. The caller publishes `word` before it looks at `sleeping`, and the helper sets `sleeping`
            // before it looks at `word` (both sequentially consistent), so one of the two sees the other's write:
            // either the helper sees the new loop, or the caller claims `sleeping` and signals.
            helper.sleeping.store(true, ordering: .sequentiallyConsistent)
            if word.load(ordering: .sequentiallyConsistent) != seen {
                // A loop came in meanwhile; if its caller already claimed `sleeping`, consume its signal.
                if !helper.sleeping.exchange(false, ordering: .sequentiallyConsistent) { helper.wake.wait() }
            } else {
                helper.wake.wait()
            }
            spins = 0
        }
    }
}
