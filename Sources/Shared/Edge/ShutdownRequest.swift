import Synchronization

#if canImport(Glibc)
import Glibc
#endif

// Set by the signal handler and read by the I/O loops: an atomic store is all a handler may do.
private let shutdownSignal = Atomic<Int32>(0)

/// SIGINT and SIGTERM ask the edge and sink processes to stop: their I/O loops poll with short timeouts
/// and check `isRequested` each turn, then shut down cleanly and print their summary.
public enum ShutdownRequest {
    public static func installHandlers() {
        // A parent may have started us with these signals blocked (the mask survives exec): unblock them.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { number in shutdownSignal.store(number, ordering: .relaxed) }
        signal(SIGTERM) { number in shutdownSignal.store(number, ordering: .relaxed) }
        // A closed pipe on stdout must be an error value, not a death.
        signal(SIGPIPE, SIG_IGN)
    }

    public static var isRequested: Bool { shutdownSignal.load(ordering: .relaxed) != 0 }

    /// Lets a loop end itself the same way a signal would (`--expect N` reached, a fatal socket error).
    public static func request() { shutdownSignal.store(-1, ordering: .relaxed) }
}

/// Clocks the pipeline processes share: capture times cross processes, so latency uses the wall clock;
/// timeouts inside one process use the monotonic clock.
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
