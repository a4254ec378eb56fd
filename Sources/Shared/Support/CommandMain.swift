import Foundation

/// Exit statuses with argument-parser's meanings.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    case failure = 1
    case usage = 64
}

/// Runs a command-line program's body and turns its outcome into an exit status: help on stdout
/// (status 0), usage errors (64) and failures (1) as one `program: error: ...` line on stderr.
public func runCommandLineProgram(_ program: String, _ body: () throws -> Void) -> Never {
    do {
        try body()
        exit(ExitStatus.success.rawValue)
    } catch CommandLineError.helpRequested(let help) {
        print(help)
        exit(ExitStatus.success.rawValue)
    } catch let error as CommandLineError {
        FileHandle.standardError.write(Data("\(program): error: \(error)\nSee '\(program) --help'.\n".utf8))
        exit(ExitStatus.usage.rawValue)
    } catch {
        FileHandle.standardError.write(Data("\(program): error: \(error)\n".utf8))
        exit(ExitStatus.failure.rawValue)
    }
}

/// One subcommand of a program: its name, its options (whose summary the program's help lists) and its body.
public struct Subcommand: Sendable {
    public let name: String
    public let spec: CommandSpec
    public let run: @Sendable ([String]) throws -> Void

    public init(_ name: String, _ spec: CommandSpec, run: @escaping @Sendable ([String]) throws -> Void) {
        self.name = name
        self.spec = spec
        self.run = run
    }
}

/// Runs the subcommand the first argument names with the rest; no argument or `--help` prints the
/// program's help (`about`, then each subcommand's summary), another word is a usage error listing them.
public func runSubcommands(_ program: String, about: String, _ subcommands: [Subcommand]) -> Never {
    runCommandLineProgram(program) {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let name = arguments.first, let subcommand = subcommands.first(where: { $0.name == name }) {
            try subcommand.run(Array(arguments.dropFirst()))
            return
        }
        guard let name = arguments.first, name != "--help", name != "-h" else {
            let width = (subcommands.map(\.name.count).max() ?? 0) + 3
            let lines = subcommands.map { "  " + $0.name.padding(toLength: width, withPad: " ", startingAt: 0) + $0.spec.summary }
            throw CommandLineError.helpRequested(
                "\(program): \(about)\n\nSUBCOMMANDS:\n\(lines.joined(separator: "\n"))\n\nSee '\(program) <subcommand> --help'.")
        }
        throw CommandLineError.unknownSubcommand(name, known: subcommands.map(\.name))
    }
}
