import Foundation
import Synchronization

/// The one thread an HTTP endpoint serves on, and its listener: `start` runs the serving loop, which
/// polls `isStopping` between accepts; `close` asks it to stop, waits for it, then closes the listener.
public final class HTTPServingThread: Sendable {
    public let listener: HTTPListener
    private let stopping = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)

    public init(_ listener: HTTPListener) { self.listener = listener }

    public var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Runs `loop` on a thread of its own; it returns once `isStopping`.
    public func start(_ loop: @escaping @Sendable () -> Void) {
        Thread { [self] in
            loop()
            stopped.signal()
        }.start()
    }

    /// Stops the loop (within its poll interval) and closes the listening socket. Idempotent.
    public func close() {
        guard stopping.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        stopped.wait()
        listener.close()
    }
}
