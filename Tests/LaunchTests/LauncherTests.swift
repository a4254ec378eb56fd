import Foundation
import LadonLaunch
import Shared
import TestSupport
import Testing

@Suite struct LauncherTests {
    func writeTopology(_ json: String, in folder: URL) throws -> String {
        let path = folder.appendingPathComponent("topology.json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func sigtermReachesEveryStageAndTheLaunchEndsCleanly() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let marks = folder.path
        let stage = { (name: String) in
            """
            {"name": "\(name)", "executable": "/bin/sh", "arguments": ["-c",
             "trap 'echo term > \(marks)/\(name)-{index}; exit 0' TERM; while true; do sleep 0.05; done"], "replicas": 2}
            """
        }
        let path = try writeTopology("{\"grace_seconds\": 5, \"stages\": [\(stage("a")), \(stage("b"))]}", in: folder)
        let launch = try ChildProcess("ladon-launch", [path])
        defer { launch.stop() }
        usleep(1_000_000)
        launch.signal(SIGTERM)
        let outcome = launch.wait(timeout: 20)
        #expect(outcome.status == 0, "\(outcome.error)")
        for name in ["a-1", "a-2", "b-1", "b-2"] {
            #expect(FileManager.default.fileExists(atPath: "\(marks)/\(name)"), "stage \(name) saw SIGTERM: \(outcome.error)")
        }
    }

    @Test func aStageThatDiesIsReportedAndTheRunEndsWhenTheSourcesFinish() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try writeTopology(
            """
            {"drain_seconds": 1, "settle_seconds": 0, "grace_seconds": 2, "stages": [
              {"name": "server", "executable": "/bin/sh", "arguments": ["-c", "while true; do sleep 0.05; done"]},
              {"name": "crasher", "executable": "/bin/sh", "arguments": ["-c", "sleep 0.2; exit 3"]},
              {"name": "source", "executable": "/bin/sh", "arguments": ["-c", "sleep 1"], "until_exit": true}]}
            """, in: folder)
        let launch = try ChildProcess("ladon-launch", [path])
        defer { launch.stop() }
        let outcome = launch.wait(timeout: 30)
        #expect(outcome.status == 1)
        #expect(outcome.error.contains("stage crasher exited unexpectedly") && outcome.error.contains("status 3"), "\(outcome.error)")
        #expect(!outcome.error.contains("stage server exited unexpectedly"), "the server was stopped by the launch: \(outcome.error)")
        #expect(!outcome.error.contains("killing"), "the server obeyed SIGTERM")
        #expect(outcome.output.contains("crasher died"), "\(outcome.output)")
    }

    @Test func aTopologyWithAMissingFieldIsNamed() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try writeTopology(#"{"stages": [{"name": "x"}]}"#, in: folder)
        let outcome = try Executables.run("ladon-launch", [path])
        #expect(outcome.status == 1)
        #expect(outcome.standardError.contains("missing 'executable'"), "\(outcome.standardError)")
    }
}
