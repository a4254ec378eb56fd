import Synchronization

#if canImport(Glibc)
import Glibc
#endif

// Set from the signal handler, read by the stages' I/O loops: an atomic store is all a handler may do.
private let stopRequested = Atomic<Int32>(0)

/// SIGINT and SIGTERM ask a stage to stop: the I/O loop sees `isRequested` at its next turn (loops poll
/// with short timeouts), finishes or abandons its in-flight work and exits with its summary.
public enum StopSignal {
    /// Installs the handlers; the loop then checks `isRequested`. SIGPIPE is ignored so a closed stdout
    /// or stdin pipe is an error value, not a death.
    public static func install() {
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

    public static var isRequested: Bool { stopRequested.load(ordering: .relaxed) != 0 }

    /// The signal that asked to stop, 0 when none did (−1 after `request()`).
    public static var signalNumber: Int32 { stopRequested.load(ordering: .relaxed) }

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

    public static func sleep(milliseconds: Int) {
        var pause = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var left = timespec()
        while nanosleep(&pause, &left) != 0 && errno == EINTR { pause = left }
    }
}
