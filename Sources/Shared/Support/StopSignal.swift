import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

// Set from the signal handler, read by the stages' I/O loops: an atomic store is all a handler may do.
private let stopRequested = Atomic<Int32>(0)
// The process whose death stops this one (0: none), set by `install`.
private let watchedParent = Atomic<Int32>(0)

/// SIGINT and SIGTERM ask a stage to stop: the I/O loop sees `isRequested` at its next turn (loops poll
/// with short timeouts), finishes or abandons its in-flight work and exits with its summary. So does the
/// death of the process that started the stage, when it asked for that (`ParentProcess`).
public enum StopSignal {
    /// Installs the handlers; the loop then checks `isRequested`. SIGPIPE is ignored so a closed stdout
    /// or stdin pipe is an error value, not a death. Once `parent` (by default the one `LADON_PARENT_PID`
    /// names) is no longer this process's parent, `isRequested` is true as after a SIGTERM.
    public static func install(parent: Int32? = ParentProcess.fromEnvironment()) {
        watchedParent.store(parent ?? 0, ordering: .relaxed)
        // A parent may have started us with these signals blocked (the mask is inherited across exec):
        // unblock them so they reach the handlers, and so our own children start with them unblocked.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { number in stopRequested.store(number, ordering: .relaxed) }
        signal(SIGTERM) { number in stopRequested.store(number, ordering: .relaxed) }
        signal(SIGPIPE, SIG_IGN)
    }

    public static var isRequested: Bool { signalNumber != 0 }

    /// The signal that asked to stop, 0 when none did (−1 after `request()`, SIGTERM once the parent is gone).
    public static var signalNumber: Int32 {
        let number = stopRequested.load(ordering: .relaxed)
        guard number == 0 else { return number }
        let parent = watchedParent.load(ordering: .relaxed)
        guard parent != 0, ParentProcess.isGone(parent) else { return 0 }
        // What the parent would have sent had it stopped cleanly; a launch forwards it to its own stages.
        if stopRequested.compareExchange(expected: 0, desired: SIGTERM, ordering: .relaxed).exchanged {
            Logger(label: ProcessInfo.processInfo.processName).warning("the parent process is gone; stopping", ["parent": parent])
        }
        return stopRequested.load(ordering: .relaxed)
    }

    /// Lets a loop end itself the same way a signal would (`--expect N` reached, a fatal socket error).
    public static func request() { stopRequested.store(-1, ordering: .relaxed) }
}

/// Clocks the pipeline processes share: capture times cross processes, so latency uses the wall clock;
/// pacing and timeouts inside one process use the monotonic clock.
public enum PipelineClock {
    /// Microseconds since the Unix epoch.
    public static func wallMicroseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1_000
    }

    /// Seconds on the monotonic clock.
    public static func seconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Sleeps `seconds` in steps of at most 50 ms, returning early once `stop` says so.
    public static func sleep(seconds: Double, unless stop: () -> Bool) {
        let deadline = self.seconds() + seconds
        while !stop() {
            let left = deadline - self.seconds()
            guard left > 0 else { return }
            sleep(milliseconds: max(1, Int(min(left, 0.05) * 1000)))
        }
    }

    public static func sleep(milliseconds: Int) {
        var pause = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var left = timespec()
        while nanosleep(&pause, &left) != 0 && errno == EINTR { pause = left }
    }
}
