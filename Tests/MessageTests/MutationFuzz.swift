import TestSupport

/// Feeds `rounds` corrupted variants of `valid` to `parse`: truncations, byte flips, and random bytes
/// (seeded, so a failure reproduces). Returns how many parsed and how many were rejected; a crash fails the run.
func mutationFuzz(_ valid: [UInt8], seed: UInt64, rounds: Int = 12_000, parse: ([UInt8]) -> Bool) -> (parsed: Int, rejected: Int) {
    var generator = SplitMix64(seed: seed)
    var outcomes = (parsed: 0, rejected: 0)
    for round in 0..<rounds {
        var bytes = valid
        switch round % 4 {
        case 0: bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count))))
        case 1:
            for _ in 0..<1 + Int(generator.next() % 4) {
                let index = Int(generator.next() % UInt64(bytes.count))
                bytes[index] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
            }
        case 2:
            // Overwrite one byte with a value protobuf finds interesting: a huge length, a new tag, a group marker.
            let index = Int(generator.next() % UInt64(bytes.count))
            bytes[index] = [0xFF, 0x80, 0x00, 0x7F, 0x0B, 0x0C][Int(generator.next() % 6)]
        default: bytes = (0..<Int(generator.next() % 96)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        }
        if parse(bytes) { outcomes.parsed += 1 } else { outcomes.rejected += 1 }
    }
    return outcomes
}
