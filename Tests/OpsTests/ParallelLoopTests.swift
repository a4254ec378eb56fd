import Foundation
import Shared
import Synchronization
import Testing

/// `Compute.parallelFor` and the team of spinning helpers under it: every index once whatever the thread count,
/// also nested and from several threads at once; more threads than cores keep their chunks; chunk i > 0 on
/// helper i - 1; a team already running a loop refuses another; helpers that parked after a quiet spell are woken
/// for the next loop.
@Suite(.serialized) struct ParallelLoopTests {
    /// Runs `body` at `threads`, restoring the previous count.
    static func at(threads: Int, _ body: () -> Void) {
        let previous = Compute.threads
        Compute.setThreads(threads)
        defer { Compute.setThreads(previous) }
        body()
    }

    /// How many times each index of `0..<count` ran in one loop.
    static func visits(count: Int, minimumPerThread: Int = 1) -> [Int] {
        let visits = Mutex([Int](repeating: 0, count: count))
        Compute.parallelFor(count, minimumPerThread: minimumPerThread) { range in
            visits.withLock { for index in range { $0[index] += 1 } }
        }
        return visits.withLock { $0 }
    }

    static var threadID: UInt { UInt(bitPattern: Int(bitPattern: pthread_self())) }

    /// The thread each of `workers` chunks ran on, from one loop of `team`.
    static func chunkThreads(_ team: SpinningTeam, workers: Int) -> [UInt]? {
        let threads = Mutex([UInt](repeating: 0, count: workers))
        guard team.run(workers: workers, { worker in threads.withLock { $0[worker] = Self.threadID } }) else { return nil }
        return threads.withLock { $0 }
    }

    @Test(arguments: [2, 3, 4])
    func everyIndexRunsExactlyOnce(threads: Int) {
        Self.at(threads: threads) {
            for loop in 0..<400 {
                let count = 1 + loop % 97
                #expect(Self.visits(count: count, minimumPerThread: 1 + loop % 3) == [Int](repeating: 1, count: count))
            }
        }
    }

    @Test func moreThreadsThanCoresKeepTheChunksOfThatManyThreads() {
        let threads = ProcessInfo.processInfo.activeProcessorCount + 2
        Self.at(threads: threads) {
            let chunks = Mutex([Range<Int>]())
            Compute.parallelFor(1_000) { range in chunks.withLock { $0.append(range) } }
            let expected = (0..<threads).map { 1_000 * $0 / threads..<1_000 * ($0 + 1) / threads }
            #expect(chunks.withLock { $0 }.sorted { $0.lowerBound < $1.lowerBound } == expected)
        }
    }

    @Test func aLoopNestedInAChunkRunsEveryIndexOnce() {
        Self.at(threads: 2) {
            let visits = Mutex([[Int]](repeating: [Int](repeating: 0, count: 10), count: 4))
            Compute.parallelFor(4) { outer in
                for o in outer {
                    Compute.parallelFor(10) { inner in visits.withLock { for i in inner { $0[o][i] += 1 } } }
                }
            }
            #expect(visits.withLock { $0 } == [[Int]](repeating: [Int](repeating: 1, count: 10), count: 4))
        }
    }

    @Test func loopsFromSeveralThreadsAtOnceRunEveryIndexOnce() {
        Self.at(threads: 2) {
            let wrong = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: 4) { caller in
                for loop in 0..<200 {
                    let count = 2 + (loop + caller) % 50
                    if Self.visits(count: count) != [Int](repeating: 1, count: count) { wrong.add(1, ordering: .relaxed) }
                }
            }
            #expect(wrong.load(ordering: .relaxed) == 0)
        }
    }

    @Test func theCallerRunsChunkZeroAndEachHelperItsOwnChunk() throws {
        let team = SpinningTeam()
        for workers in [2, 4, 3, 2] {
            let threads = try #require(Self.chunkThreads(team, workers: workers))
            #expect(threads[0] == Self.threadID)
            #expect(Set(threads).count == workers, "chunks ran on \(threads)")
        }
    }

    @Test func aTeamRunningALoopRefusesAnotherWhichThenRunsNothing() {
        let team = SpinningTeam()
        let nestedRan = Atomic<Int>(0)
        let refused = Atomic<Int>(0)
        let ran = team.run(workers: 2) { _ in
            if !team.run(workers: 2, { _ in nestedRan.add(1, ordering: .relaxed) }) { refused.add(1, ordering: .relaxed) }
        }
        #expect(ran)
        #expect(refused.load(ordering: .relaxed) == 2 && nestedRan.load(ordering: .relaxed) == 0)
        #expect(!team.run(workers: 1) { _ in nestedRan.add(1, ordering: .relaxed) })
    }

    @Test func helpersThatParkedAfterAQuietSpellAreWokenForTheNextLoop() throws {
        let team = SpinningTeam()
        for _ in 0..<5 {
            // Longer than the helpers spin, so that each loop finds them parked.
            Thread.sleep(forTimeInterval: 0.01)
            let threads = try #require(Self.chunkThreads(team, workers: 3))
            #expect(Set(threads).count == 3, "chunks ran on \(threads)")
        }
    }
}
