import Foundation

/// This process's executable file, so a stage starts its helpers (workers, stages, the benchmark's
/// processes) from exactly its own build.
public enum OwnExecutable {
    public static var path: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// The folder holding it, where the other ladon executables of the build are.
    public static var folder: URL { URL(fileURLWithPath: path).deletingLastPathComponent() }
}
