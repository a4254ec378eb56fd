import Foundation
import LadonLaunch
import Shared
import TestSupport
import Testing

/// The committed deploy files, the Dockerfile they run, and `ladon-launch deploy` itself.
@Suite struct DeployFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let source = "compose/multi-host.json"
    static let regenerate = "ladon-launch deploy --topology compose/multi-host.json --compose deploy/compose.yaml --kubernetes deploy/kubernetes"

    func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: DeployFilesTests.root.appendingPathComponent(relative).path).map { String(decoding: $0, as: UTF8.self) }
    }

    func multiHostPlan() throws -> DeployPlan {
        let bytes = try [UInt8](Data(contentsOf: DeployFilesTests.root.appendingPathComponent(DeployFilesTests.source)))
        return try DeployPlan(Topology.parse(bytes, path: DeployFilesTests.source), source: DeployFilesTests.source, bytes: bytes)
    }

    @Test("the committed deploy/ files are exactly what compose/multi-host.json renders")
    func theCommittedDeployFilesHaveNotDrifted() throws {
        let files = try DeployFiles.render(multiHostPlan(), compose: "deploy/compose.yaml", kubernetes: "deploy/kubernetes")
        for file in files {
            guard let actual = read(file.path) else {
                Issue.record("\(file.path) is missing; run \(DeployFilesTests.regenerate)")
                continue
            }
            if let difference = DeployFiles.firstDifference(path: file.path, expected: file.text, actual: actual) {
                Issue.record("\(difference); run \(DeployFilesTests.regenerate)")
            }
        }
        let folder = DeployFilesTests.root.appendingPathComponent("deploy/kubernetes").path
        let committed = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }.map { "deploy/kubernetes/\($0)" }
        let rendered = files.map(\.path).filter { $0.hasPrefix("deploy/kubernetes/") }
        #expect(
            Set(committed) == Set(rendered), "deploy/kubernetes holds manifests the topology no longer renders; run \(DeployFilesTests.regenerate)")
    }

    @Test("compose/multi-host.json is secure: every service that speaks CURVE has its keys, and none runs --insecure")
    func theMultiHostTopologyIsSecure() throws {
        let plan = try multiHostPlan()
        for service in plan.services {
            #expect(!service.command.contains("--insecure"), "\(service.name)")
            #expect((service.role == .ingest) == (service.keys == nil), "\(service.name): ingest alone speaks only ipc:// on its device")
        }
        #expect(plan.services.filter { $0.role == .worker }.count == 2 && plan.services.filter { $0.role == .encoder }.count == 2)
    }

    @Test("a difference is named by its file, its line and both versions")
    func aDifferenceNamesTheLine() {
        #expect(DeployFiles.firstDifference(path: "f.yaml", expected: "a\nb\nc\n", actual: "a\nb\nc\n") == nil)
        #expect(
            DeployFiles.firstDifference(path: "f.yaml", expected: "a\nb\nc\n", actual: "a\nB\nc\n")
                == "f.yaml line 2: has 'B', a fresh rendering has 'b'")
        #expect(DeployFiles.firstDifference(path: "f.yaml", expected: "a\nb\n", actual: "a\n") == "f.yaml line 2: has '', a fresh rendering has 'b'")
        #expect(
            DeployFiles.firstDifference(path: "f.yaml", expected: "a\n", actual: "a\nextra\n")
                == "f.yaml line 2: has 'extra', a fresh rendering has ''")
        #expect(
            DeployFiles.firstDifference(path: "f.yaml", expected: "a\n", actual: "a")
                == "f.yaml line 2: has the end of the file, a fresh rendering has ''")
    }

    @Test("ladon-launch deploy writes the files, --check passes on them, then names an edited line and a stale manifest")
    func theCommandWritesAndChecks() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let topology = DeployFilesTests.root.appendingPathComponent(DeployFilesTests.source).path
        let compose = folder.appendingPathComponent("compose.yaml").path
        let manifests = folder.appendingPathComponent("kubernetes").path
        let arguments = ["deploy", "--topology", topology, "--compose", compose, "--kubernetes", manifests]
        let written = try Executables.run("ladon-launch", arguments)
        #expect(written.status == 0, "\(written.standardError)")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: manifests).sorted() == ["edge.yaml", "sink.yaml", "topology.yaml", "worker.yaml"])
        let clean = try Executables.run("ladon-launch", arguments + ["--check"])
        #expect(clean.status == 0, "\(clean.standardError)")

        let edited = try String(contentsOfFile: compose, encoding: .utf8).replacingOccurrences(
            of: "      - \"5555:5555\"\n", with: "      - \"5555:6666\"\n")
        try edited.write(toFile: compose, atomically: true, encoding: .utf8)
        let stale = DeployFiles.generatedMark + " from an older topology\n"
        try stale.write(toFile: manifests + "/old-stage.yaml", atomically: true, encoding: .utf8)
        let drifted = try Executables.run("ladon-launch", arguments + ["--check"])
        #expect(drifted.status == 1)
        #expect(drifted.standardError.contains("\(manifests)/old-stage.yaml: no longer rendered"), "\(drifted.standardError)")
        let line = try #require(
            try String(contentsOfFile: compose, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).firstIndex(
                of: "      - \"5555:6666\""))
        #expect(
            drifted.standardError.contains("\(compose) line \(line + 1): has '      - \"5555:6666\"', a fresh rendering has '      - \"5555:5555\"'"),
            "\(drifted.standardError)")

        let rewritten = try Executables.run("ladon-launch", arguments)
        #expect(rewritten.status == 0 && rewritten.standardOutput.contains("removed \(manifests)/old-stage.yaml"), "\(rewritten.standardOutput)")
        #expect(try Executables.run("ladon-launch", arguments + ["--check"]).status == 0)
    }

    @Test("the Dockerfile builds the image the renderers assume: its working directory, user, scratch folder, programs and models")
    func theDockerfileMatchesThePlan() throws {
        let dockerfile = try #require(read("Dockerfile"))
        let lines = dockerfile.split(separator: "\n").map(String.init)
        #expect(lines.contains("WORKDIR \(DeployPlan.workingDirectory)"))
        #expect(lines.contains("USER \(DeployPlan.userID):\(DeployPlan.userID)"))
        #expect(dockerfile.contains("--uid \(DeployPlan.userID) ") && dockerfile.contains(" \(DeployPlan.scratchFolder)\n"))
        #expect(lines.contains("COPY models/ \(DeployPlan.workingDirectory)/models/"))
        for program in Set(StageProgram.known.map { $0.command[0] }).union(["ladon-launch"]) {
            #expect(dockerfile.contains(" \(program) "), "the image holds \(program)")
        }
        let ignored = try #require(read(".dockerignore")).split(separator: "\n")
        #expect(ignored.contains("keys/") && ignored.contains("deploy/") && !ignored.contains("models/"), "keys never enter the image; models do")
    }
}
