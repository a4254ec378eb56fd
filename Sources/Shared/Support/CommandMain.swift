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
