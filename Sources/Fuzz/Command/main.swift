import Foundation
import LadonFuzz
import Shared

#if LIBFUZZER
    internal import CFuzzerDriver

    // Built with -sanitize=fuzzer,address -DLIBFUZZER (Sources/Fuzz/README.md): libFuzzer drives the target that
    // LADON_FUZZ_TARGET names, or the first argument when it is a target's name (then passed on to the
    // processes libFuzzer starts for -fork and -jobs through the environment).
    enum Selected {
        static let target: FuzzTarget = {
            guard let name = ProcessInfo.processInfo.environment["LADON_FUZZ_TARGET"], let target = FuzzTarget(rawValue: name) else {
                let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
                FileHandle.standardError.write(Data("ladon-fuzz: name a target (\(names)) as the first argument or in LADON_FUZZ_TARGET\n".utf8))
                exit(ExitStatus.usage.rawValue)
            }
            return target
        }()
    }

    var arguments = CommandLine.arguments
    if arguments.count > 1, FuzzTarget(rawValue: arguments[1]) != nil {
        setenv("LADON_FUZZ_TARGET", arguments.remove(at: 1), 1)
    }
    if !arguments.contains(where: { $0.hasPrefix("-max_len=") }) {
        arguments.append("-max_len=\(Selected.target.maximumInputBytes)")
    }
    // libFuzzer keeps argv for the life of the process: these copies are never freed.
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    var argc = Int32(arguments.count)
    let status = argv.withUnsafeMutableBufferPointer { pointers in
        var base = pointers.baseAddress
        return LLVMFuzzerRunDriver(&argc, &base) { data, size in
            _ = Selected.target.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
            return 0
        }
    }
    exit(status)
#else
    // Without libFuzzer: replay a corpus and seeded mutations through a target, or write the seed corpus.
    runSubcommands(
        "ladon-fuzz", about: "the fuzz targets without libFuzzer (Sources/Fuzz/README.md).",
        [
            Subcommand("replay", FuzzCommands.replaySpec, run: FuzzCommands.replay),
            Subcommand("corpus", FuzzCommands.corpusSpec, run: FuzzCommands.corpus),
        ])
#endif
