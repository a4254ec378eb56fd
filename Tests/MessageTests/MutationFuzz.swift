import Shared
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

/// What the parser of `Message` made of mutated input: how much it took and refused, and the inputs it
/// handled wrongly: a parsed message whose own bytes do not parse back to the same bytes (the message
/// does not stand for what was read), or a refusal that is not a one-line `WireError`.
struct ParserOutcomes: CustomStringConvertible {
    var parsed = 0
    var rejected = 0
    var unstable = 0
    var badErrors = 0

    var description: String { "parsed \(parsed), rejected \(rejected), unstable \(unstable), bad errors \(badErrors)" }
}

func fuzzParser<Message: WireMessage>(_ type: Message.Type, _ valid: [UInt8], seed: UInt64, rounds: Int = 12_000) -> ParserOutcomes {
    var outcomes = ParserOutcomes()
    _ = mutationFuzz(valid, seed: seed, rounds: rounds) { bytes in
        do throws(WireError) {
            let once = try Message(serialized: bytes).serialized()
            outcomes.parsed += 1
            if (try? Message(serialized: once).serialized()) != once { outcomes.unstable += 1 }
            return true
        } catch {
            outcomes.rejected += 1
            if "\(error)".contains("\n") || "\(error)".isEmpty { outcomes.badErrors += 1 }
            return false
        }
    }
    return outcomes
}
