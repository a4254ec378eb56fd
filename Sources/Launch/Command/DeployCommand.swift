import Foundation
import LadonLaunch
import Shared

/// `ladon-launch deploy`: renders a topology as a docker compose file and Kubernetes manifests
/// (docs/deploy.md), or with `--check` says whether the files on disk are what it would render.
enum DeployCommand {
    static let spec = CommandSpec(
        command: "ladon-launch deploy",
        summary: "Render a topology file as a docker compose file and Kubernetes manifests (docs/deploy.md).",
        options: [
            .value("topology", "file", help: "The topology (compose/*.json), as ladon-launch runs it.", required: true),
            .value("compose", "file", help: "Write the compose file here (e.g. deploy/compose.yaml)."),
            .value("kubernetes", "dir", help: "Write the Kubernetes manifests into this folder (e.g. deploy/kubernetes)."),
            .flag("check", help: "Write nothing; exit 1 naming the first file and line that differ from a fresh rendering."),
        ])

    static func run(_ arguments: [String]) throws {
        let options = try spec.parse(arguments)
        guard options.positional.isEmpty else { throw CommandLineError.unknownOption(options.positional[0], suggestion: nil) }
        guard options.value("compose") != nil || options.value("kubernetes") != nil else {
            throw CommandLineError.missingOption("compose or --kubernetes")
        }
        let source = options.required("topology")
        let bytes = try FileIO.read(source, what: "topology", limit: 1 << 20)
        let plan = try DeployPlan(Topology.parse(bytes, path: source), source: source, bytes: bytes)
        let files = try DeployFiles.render(plan, compose: options.value("compose"), kubernetes: options.value("kubernetes"))
        let stale = try options.value("kubernetes").map { try staleManifests($0, keeping: files.map(\.path)) } ?? []

        if options.flag("check") {
            var problems = stale.map { "\($0): no longer rendered; remove it" }
            for file in files {
                let actual = FileManager.default.contents(atPath: file.path).map { String(decoding: $0, as: UTF8.self) }
                guard let actual else {
                    problems.append("\(file.path): missing")
                    continue
                }
                if let difference = DeployFiles.firstDifference(path: file.path, expected: file.text, actual: actual) { problems.append(difference) }
            }
            guard problems.isEmpty else { throw DeployCheckFailure(problems: problems, source: source) }
            print("ladon-launch deploy: \(files.count) files match \(source)")
            return
        }
        if let folder = options.value("kubernetes") {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        for file in files { try FileIO.write(Array(file.text.utf8), to: file.path, what: "deploy file") }
        for path in stale { try FileManager.default.removeItem(atPath: path) }
        print(
            "ladon-launch deploy: wrote \(files.map(\.path).joined(separator: ", "))"
                + (stale.isEmpty ? "" : "; removed \(stale.joined(separator: ", "))"))
    }

    /// Manifests in `folder` that an earlier rendering wrote (they carry its mark) and this one does not.
    static func staleManifests(_ folder: String, keeping paths: [String]) throws -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { "\(folder.hasSuffix("/") ? String(folder.dropLast()) : folder)/\($0)" }
            .filter { path in
                !paths.contains(path)
                    && (FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self).hasPrefix(DeployFiles.generatedMark) }
                        ?? false)
            }
    }
}

/// `--check` found files that differ from a fresh rendering; one line per file.
struct DeployCheckFailure: Error, CustomStringConvertible {
    let problems: [String]
    let source: String

    var description: String {
        problems.joined(separator: "; ") + " (render them again: ladon-launch deploy --topology \(source) ...)"
    }
}
