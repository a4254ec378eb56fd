import Foundation
import Shared

/// Runs the package's built executables as separate processes, as users and the pipeline do.
public enum Executables {
    public struct Outcome: Sendable {
        public let status: Int32
        public let standardOutput: String
        public let standardError: String
    }

    /// The folder holding the built products: next to the test bundle, else the package's build folder.
    public static let productsFolder: URL = {
        let candidates = [
            Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("ladon-encoder").path) }
            ?? candidates[0]
    }()

    /// A process for the built executable `name`, not started yet. It is told to stop should this test
    /// process die (a crash, a failed precondition) instead of running on orphaned (`ParentProcess`).
    /// `name` with `arguments`, behind `launcher` when it is not empty (e.g. `ip netns exec NS`).
    public static func process(_ name: String, _ arguments: [String], launcher: [String] = []) -> Process {
        let process = Process.launching(productsFolder.appendingPathComponent(name).path, arguments, behind: launcher)
        process.environment = ParentProcess.environmentForChild()
        return process
    }

    /// Runs `name` with `arguments` to completion and captures both streams; `environment` adds to (or
    /// overrides) the child's variables.
    public static func run(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        let process = process(name, arguments)
        process.environment = (process.environment ?? [:]).merging(environment) { _, added in added }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read before waiting so a chatty child never blocks on a full pipe.
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData, as: UTF8.self))
    }

    /// A fresh temporary folder, removed by the caller.
    public static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ladon-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
