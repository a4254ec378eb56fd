import Foundation
import LadonFuzz
import Shared
import TestSupport
import Testing

/// The CI smoke run of the fuzz targets, without libFuzzer or sanitizers: each committed corpus file,
/// then ten thousand seeded mutations of them, through the same functions libFuzzer runs
/// (Sources/Fuzz/README.md). A trap or a broken invariant ends the test process.
@Suite struct CorpusReplayTests {
    @Test(arguments: FuzzTarget.allCases)
    func theCommittedCorpusAndTenThousandMutationsAreEachAcceptedOrRefused(target: FuzzTarget) throws {
        let inputs = try Replay.corpus(Fixtures.path("fuzz/\(target.rawValue)"))
        #expect(inputs.count >= 5)
        let report = Replay.run(target, inputs: inputs, mutations: 10_000, seed: 0x1AD0)
        // Both outcomes, or the inputs are not reaching the code behind the first check.
        #expect(report.accepted > 0 && report.refused > 0, "\(report)")
    }

    @Test(arguments: FuzzTarget.allCases)
    func everySeedTheGeneratorMakesIsCommittedAsItMakesIt(target: FuzzTarget) throws {
        for seed in try CorpusSeeds.seeds(for: target) {
            let path = Fixtures.path("fuzz/\(target.rawValue)/\(seed.name)")
            #expect(try FileIO.read(path) == seed.bytes, "\(path) differs from what `ladon-fuzz corpus` writes")
        }
    }

    @Test func mutationsStayWithinTheTargetsInputLimitAndReproduceFromTheSeed() {
        var first = SplitMix64(seed: 9)
        var second = SplitMix64(seed: 9)
        let base = [UInt8](repeating: 0x5A, count: 3000)
        for _ in 0..<200 {
            let one = Replay.mutate(base, splicing: base, limit: 2048, using: &first)
            #expect(one.count <= 2048)
            #expect(one == Replay.mutate(base, splicing: base, limit: 2048, using: &second))
        }
    }
}
