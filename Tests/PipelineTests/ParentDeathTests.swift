import Foundation
import Shared
import TestSupport
import Testing

/// Stages stop when the process that started them dies without stopping them (killed, crashed):
/// `ladon-launch` is the short-lived parent here, started by the test and then SIGKILLed, so it can
/// neither forward a signal nor kill its stages; every process below it must then end on its own.
@Suite struct ParentDeathTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let executable: String
        let arguments: @Sendable (_ folder: String) -> [String]
        /// Processes the stage runs under the launch, itself included (edge workers, a nested launch's stage).
        let processes: Int
        var testDescription: String { name }
    }

    static let frames = Fixtures.path("../../samples/frames")

    @Sendable static func sinkArguments(_ folder: String) -> [String] {
        ["serve", "--results", "ipc://\(folder)/results", "--publish", "ipc://\(folder)/publish"]
    }

    static let cases: [Case] = [
        Case(
            name: "ingest", executable: "ladon-ingest",
            arguments: { folder in
                ["--source", frames, "--loop", "--fps", "2", "--connect", "ipc://\(folder)/ingest", "--finish-timeout", "1"]
            }, processes: 1),
        Case(
            name: "encoder", executable: "ladon-encoder",
            arguments: { folder in
                [
                    "run", "--model", EdgeHarness.model, "--ingest", "ipc://\(folder)/ingest", "--edge", "ipc://\(folder)/frontend",
                    "--drain-timeout", "0",
                ]
            }, processes: 1),
        Case(
            name: "edge serve and its worker", executable: "ladon-edge",
            arguments: { folder in
                [
                    "serve", "--model", EdgeHarness.model, "--frontend", "ipc://\(folder)/frontend", "--sink", "ipc://\(folder)/results",
                    "--workers", "1",
                ]
            }, processes: 2),
        Case(name: "sink", executable: "ladon-sink", arguments: sinkArguments, processes: 1),
        Case(
            name: "a nested launch and its sink", executable: "ladon-launch",
            arguments: { folder in
                ["\(folder)/inner.json"]
            }, processes: 2),
    ]

    /// `pid` and all its descendants, parents first (Linux: /proc).
    static func tree(_ pid: Int32) -> [Int32] {
        [pid] + ChildProcess.children(of: pid).flatMap(tree)
    }

    /// Whether `pid` still runs: an exited process may linger as a zombie when nobody reaps orphans.
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    /// `LADON_PARENT_PID` as `pid` was started with.
    static func parentVariable(of pid: Int32) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return nil }
        let prefix = ParentProcess.environmentVariable + "="
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            .first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    @Test(arguments: cases)
    func aStageWhoseLaunchIsKilledStopsByItself(_ stage: Case) throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let encoded = { (value: [String]) in String(decoding: try JSONEncoder().encode(value), as: UTF8.self) }
        try Data(
            """
            {"stages": [{"name": "sink", "executable": "ladon-sink",
                         "arguments": \(try encoded(Self.sinkArguments("{tmp}")))}]}
            """.utf8
        ).write(to: folder.appendingPathComponent("inner.json"))
        try Data(
            """
            {"stages": [{"name": "\(stage.name)", "executable": "\(stage.executable)",
                         "arguments": \(try encoded(stage.arguments(folder.path)))}]}
            """.utf8
        ).write(to: folder.appendingPathComponent("outer.json"))

        let launch = try ChildProcess("ladon-launch", [folder.appendingPathComponent("outer.json").path], logs: folder)
        var stages: [Int32] = []
        defer {
            // Whatever the outcome, leave nothing running.
            for pid in stages where Self.isRunning(pid) { kill(pid, SIGKILL) }
            launch.stop()
        }
        #expect(
            waitUntil(30) {
                stages = Array(Self.tree(launch.pid).dropFirst())
                return stages.count == stage.processes
            }, "expected \(stage.processes) processes under the launch, saw \(stages)\n\(launch.standardError)")
        #expect(Self.parentVariable(of: launch.pid) == "\(getpid())", "the test names itself as the launch's parent")
        #expect(stages.first.flatMap(Self.parentVariable) == "\(launch.pid)", "the launch names itself as its stage's parent")

        kill(launch.pid, SIGKILL)
        launch.process.waitUntilExit()
        #expect(
            waitUntil(15) { !stages.contains(where: Self.isRunning) },
            "still running after the launch died: \(stages.filter(Self.isRunning))\n\(launch.standardError)")
        #expect(launch.standardError.contains("the parent process is gone; stopping"), "\(launch.standardError)")
    }

    @Test func onlyAPositiveProcessIdInTheVariableNamesAParent() {
        #expect(ParentProcess.fromEnvironment([ParentProcess.environmentVariable: "4242"]) == 4242)
        for value in ["", "0", "-5", "12x", "99999999999"] {
            #expect(ParentProcess.fromEnvironment([ParentProcess.environmentVariable: value]) == nil, "\(value)")
        }
        #expect(ParentProcess.fromEnvironment([:]) == nil)
    }
}
