import Synchronization

/// One 64-byte-aligned buffer of Floats owned by a tensor.
///
/// Invariant for `@unchecked Sendable`: the buffer is written only through `Tensor`'s mutating
/// accessors, which copy first unless the storage is uniquely referenced, so a storage shared
/// between threads is never written.
public final class TensorStorage: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<Float>
    let capacity: Int

    @usableFromInline init(capacity: Int) {
        self.capacity = capacity
        self.base = BufferPool.shared.take(capacity: capacity)
    }

    deinit { BufferPool.shared.give(base, capacity: capacity) }
}

/// Recycles tensor buffers so a forward pass allocates nothing after its first frame: each frame
/// asks for the same sizes in the same order, and large fresh allocations cost page faults.
final class BufferPool: Sendable {
    static let shared = BufferPool()
    /// Upper bound on idle bytes kept for reuse; beyond it buffers go back to the system.
    private let maxIdleBytes = 1 << 30
    /// Idle buffers are kept as addresses: a raw pointer is not Sendable, an integer is.
    private struct State {
        var idle: [Int: [UInt]] = [:]
        var idleBytes = 0
    }
    private let state = Mutex(State())
    /// Buffers allocated because none of their size was idle.
    let freshCount = Atomic<Int>(0)

    func take(capacity: Int) -> UnsafeMutablePointer<Float> {
        let reused: UnsafeMutablePointer<Float>? = state.withLock { state in
            guard let address = state.idle[capacity]?.popLast() else { return nil }
            state.idleBytes -= capacity * MemoryLayout<Float>.stride
            return UnsafeMutablePointer(bitPattern: address)
        }
        if let reused { return reused }
        freshCount.add(1, ordering: .relaxed)
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(capacity, 1) * MemoryLayout<Float>.stride, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: max(capacity, 1))
    }

    func give(_ pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        let bytes = capacity * MemoryLayout<Float>.stride
        let kept = state.withLock { state -> Bool in
            guard state.idleBytes + bytes <= maxIdleBytes else { return false }
            state.idle[capacity, default: []].append(UInt(bitPattern: pointer))
            state.idleBytes += bytes
            return true
        }
        if !kept { UnsafeMutableRawPointer(pointer).deallocate() }
    }
}

/// What the tensor buffer pool did, for benchmarks that show memory is planned: after a warm-up frame,
/// frames of the same size take every buffer from the pool.
public enum TensorMemory {
    /// Buffers allocated so far because the pool had none of their size (in every thread of the process).
    public static var freshBuffers: Int { BufferPool.shared.freshCount.load(ordering: .relaxed) }
}
