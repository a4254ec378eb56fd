import Foundation
import Shared

/// The fuzz targets without libFuzzer: every file of a corpus, then seeded mutations of them (the kinds
/// of edit libFuzzer makes: bit flips, interesting bytes, insertions, erasures, copies, splices), each
/// run through the target. Builds and runs without sanitizer flags: the CI smoke run (FuzzTests) and
/// `ladon-fuzz replay`. A trap ends the process, as it would under libFuzzer.
public enum Replay {
    public struct Report: Sendable, CustomStringConvertible {
        public let target: FuzzTarget
        public var corpusFiles = 0
        public var mutations = 0
        public var accepted = 0
        public var refused = 0

        public var description: String {
            "\(target.rawValue): \(corpusFiles) corpus files and \(mutations) mutations, \(accepted) accepted, \(refused) refused"
        }
    }

    /// Every regular file directly inside `folder`, sorted by name.
    public static func corpus(_ folder: String) throws -> [[UInt8]] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
        let folderURL = URL(fileURLWithPath: folder)
        return try names.compactMap { name in
            let url = folderURL.appendingPathComponent(name)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue else { return nil }
            return [UInt8](try Data(contentsOf: url))
        }
    }

    /// Runs `inputs`, then `mutations` mutated inputs, through `target`.
    public static func run(_ target: FuzzTarget, inputs: [[UInt8]], mutations: Int, seed: UInt64) -> Report {
        var report = Report(target: target)
        func count(_ outcome: FuzzOutcome) {
            if outcome == .accepted { report.accepted += 1 } else { report.refused += 1 }
        }
        for input in inputs {
            count(target.run(input))
            report.corpusFiles += 1
        }
        guard !inputs.isEmpty else { return report }
        var generator = SplitMix64(seed: seed)
        for _ in 0..<mutations {
            let base = inputs[Int(generator.next() % UInt64(inputs.count))]
            let other = inputs[Int(generator.next() % UInt64(inputs.count))]
            count(target.run(mutate(base, splicing: other, limit: target.maximumInputBytes, using: &generator)))
            report.mutations += 1
        }
        return report
    }

    /// One to four stacked edits of `bytes`, kept within `limit` bytes.
    public static func mutate(_ bytes: [UInt8], splicing other: [UInt8], limit: Int, using generator: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        for _ in 0...Int(generator.next() % 4) {
            let at = bytes.isEmpty ? 0 : Int(generator.next() % UInt64(bytes.count))
            switch generator.next() % 8 {
            case 0 where !bytes.isEmpty: bytes[at] ^= 1 << UInt8(generator.next() % 8)
            case 1 where !bytes.isEmpty:
                bytes[at] = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF, UInt8(truncatingIfNeeded: generator.next())][Int(generator.next() % 7)]
            case 2: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: at)
            case 3 where !bytes.isEmpty: bytes.removeSubrange(at..<min(bytes.count, at + 1 + Int(generator.next() % 16)))
            case 4 where !bytes.isEmpty:
                // Copy a run of bytes elsewhere (repeated markers, fields, scans).
                let length = 1 + Int(generator.next() % UInt64(min(bytes.count - at, 256)))
                let run = bytes[at..<at + length]
                bytes.insert(contentsOf: run, at: Int(generator.next() % UInt64(bytes.count + 1)))
            case 5: bytes = Array(bytes.prefix(at))
            case 6 where !other.isEmpty:
                // Splice: this input's head, the other's tail.
                bytes = Array(bytes.prefix(at)) + other.suffix(other.count - Int(generator.next() % UInt64(other.count)))
            default:
                // A little-endian or big-endian 16/32-bit value somewhere: sizes, lengths, counts.
                guard bytes.count >= 4 else { break }
                let offset = Int(generator.next() % UInt64(bytes.count - 3))
                let value = UInt32(truncatingIfNeeded: [0, 1, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, generator.next()][Int(generator.next() % 7)])
                let width = generator.next() % 2 == 0 ? 2 : 4
                let bigEndian = generator.next() % 2 == 0
                for index in 0..<width {
                    let shift = bigEndian ? 8 * (width - 1 - index) : 8 * index
                    bytes[offset + index] = UInt8(truncatingIfNeeded: value >> UInt32(shift))
                }
            }
        }
        return Array(bytes.prefix(limit))
    }
}
