import Foundation
import LadonFuzz
import Shared

/// `ladon-fuzz replay` and `ladon-fuzz corpus`.
enum FuzzCommands {
    static let targetNames = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")

    static let replaySpec = CommandSpec(
        command: "ladon-fuzz replay",
        summary: "Run a target over corpus folders or files and seeded mutations of them.",
        options: [
            .value("target", "NAME", help: "the target: \(targetNames)", required: true),
            .value("mutations", "N", help: "mutated inputs after the corpus (default 10000)"),
            .value("seed", "N", help: "seed of the mutations (default 1)"),
        ])

    static func replay(_ arguments: [String]) throws {
        let options = try replaySpec.parse(arguments)
        let target = try self.target(options)
        let mutations = try options.number("mutations", default: 10_000, expected: "a count of at least 0") { $0 >= 0 }
        let seed = try options.number("seed", default: 1, expected: "an integer of at least 0") { $0 >= 0 }
        let paths = options.positional.isEmpty ? [defaultCorpus(target)] : options.positional
        var inputs: [[UInt8]] = []
        for path in paths {
            var isFolder: ObjCBool = false
            let folder = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
            inputs += folder ? try Replay.corpus(path) : [try FileIO.read(path)]
        }
        let start = Date()
        let report = Replay.run(target, inputs: inputs, mutations: mutations, seed: UInt64(seed))
        print("ladon-fuzz: \(report) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
    }

    static let corpusSpec = CommandSpec(
        command: "ladon-fuzz corpus",
        summary: "Write the seed corpus of every target (or one) under a folder, one subfolder per target.",
        options: [
            .value("out", "FOLDER", help: "where to write (default Tests/Fixtures/fuzz)"),
            .value("target", "NAME", help: "only this target: \(targetNames)"),
        ])

    static func corpus(_ arguments: [String]) throws {
        let options = try corpusSpec.parse(arguments)
        let out = options.value("out") ?? "Tests/Fixtures/fuzz"
        let targets = options.value("target") == nil ? FuzzTarget.allCases : [try target(options)]
        for target in targets {
            let folder = URL(fileURLWithPath: out).appendingPathComponent(target.rawValue)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let seeds = try CorpusSeeds.seeds(for: target)
            for seed in seeds {
                try Data(seed.bytes).write(to: folder.appendingPathComponent(seed.name))
            }
            print("ladon-fuzz: \(seeds.count) seeds in \(folder.path)")
        }
    }

    static func target(_ options: ParsedArguments) throws(CommandLineError) -> FuzzTarget {
        let name = options.value("target") ?? ""
        guard let target = FuzzTarget(rawValue: name) else { throw .invalidValue(option: "target", value: name, expected: "one of \(targetNames)") }
        return target
    }

    static func defaultCorpus(_ target: FuzzTarget) -> String { "Tests/Fixtures/fuzz/\(target.rawValue)" }
}
