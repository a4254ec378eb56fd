import Foundation

extension Process {
    /// The program at `path` with `arguments`, behind `launcher` when it is not empty: a command that
    /// runs the rest of its arguments and becomes that program (`ip netns exec NS`), so the pid is the
    /// program's. Not started yet.
    public static func launching(_ path: String, _ arguments: [String], behind launcher: [String]) -> Process {
        let process = Process()
        if let first = launcher.first {
            process.executableURL = URL(fileURLWithPath: first)
            process.arguments = Array(launcher.dropFirst()) + [path] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
        }
        return process
    }
}
