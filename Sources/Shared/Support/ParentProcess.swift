import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A stage started by another process (`ladon-launch`, `ladon-edge serve` for its workers, the link
/// benchmark, a test) stops when that process dies, even without a word (SIGKILL, a crash): the starter
/// names itself in `LADON_PARENT_PID`, and `StopSignal` reads it at `install()` and treats "my parent is
/// no longer that process" as SIGTERM at the I/O loop's next turn. A dead process's children are handed
/// to init (or a subreaper), so `getppid()` tells, with no pid reuse to fear; a parent that died before
/// the check is seen at once. prctl(PR_SET_PDEATHSIG) would not do: it fires when the parent *thread*
/// that started the child ends, and Foundation's `Process` starts children from whatever thread calls it.
public enum ParentProcess {
    public static let environmentVariable = "LADON_PARENT_PID"

    /// The process `environment` asks this one to stop with; `nil` when unset or not a process id.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Int32? {
        guard let text = environment[environmentVariable], let pid = Int32(text), pid > 0 else { return nil }
        return pid
    }

    /// The environment for a child that should stop when this process dies: this process's own with
    /// `LADON_PARENT_PID` naming this process. Every process that starts stages uses it, so a child
    /// never inherits the variable naming its grandparent (it would stop at once).
    public static func environmentForChild() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment[environmentVariable] = "\(getpid())"
        return environment
    }

    /// Whether this process's parent is no longer `parent`.
    static func isGone(_ parent: Int32) -> Bool { getppid() != parent }
}
