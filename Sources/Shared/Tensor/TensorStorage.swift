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
        (base, self.capacity) = BufferPool.shared.take(capacity: capacity)
    }

    deinit { BufferPool.shared.give(base, capacity: capacity) }
}

/// Recycles tensor buffers so a forward pass allocates nothing after its first frames: each frame
/// asks for the same sizes in the same order, and large fresh allocations cost page faults.
///
/// A request takes the smallest idle buffer that holds it, up to twice its size: buffers kept for one
/// layer's shape serve the next layer's slightly smaller ones, so the pool (the edge's peak memory
/// beside the weights) holds about the largest live set of a frame rather than every shape's.
final class BufferPool: Sendable {
    static let shared = BufferPool()
    /// Upper bound on idle bytes kept for reuse; beyond it buffers go back to the system.
    private let maxIdleBytes = 1 << 30
    /// A buffer serves requests down to half its size; smaller ones would waste more than they save.
    private static let largestWasteFactor = 2

    /// Idle buffers are kept as addresses: a raw pointer is not Sendable, an integer is.
    private struct State {
        var idle: [Int: [UInt]] = [:]
        /// The capacities that have idle buffers, ascending.
        var idleCapacities: [Int] = []
        var idleBytes = 0

        /// Where `capacity` is or would go in `idleCapacities`: the first position holding it or more.
        private func position(_ capacity: Int) -> Int {
            var (low, high) = (0, idleCapacities.count)
            while low < high {
                let middle = (low + high) / 2
                if idleCapacities[middle] < capacity { low = middle + 1 } else { high = middle }
            }
            return low
        }

        /// The smallest idle capacity in `capacity...limit`.
        func bestFit(_ capacity: Int, limit: Int) -> Int? {
            let index = position(capacity)
            guard index < idleCapacities.count, idleCapacities[index] <= limit else { return nil }
            return idleCapacities[index]
        }

        mutating func pop(_ capacity: Int) -> UInt {
            let address = idle[capacity]!.removeLast()
            if idle[capacity]!.isEmpty {
                idle[capacity] = nil
                idleCapacities.remove(at: position(capacity))
            }
            idleBytes -= capacity * MemoryLayout<Float>.stride
            return address
        }

        mutating func push(_ address: UInt, capacity: Int) {
            if idle[capacity] == nil { idleCapacities.insert(capacity, at: position(capacity)) }
            idle[capacity, default: []].append(address)
            idleBytes += capacity * MemoryLayout<Float>.stride
        }
    }

    private let state = Mutex(State())

    /// Buffers allocated because no idle one could hold the request.
    let freshCount = Atomic<Int>(0)

    /// A buffer of at least `capacity` Floats, and its actual capacity (to give back under).
    func take(capacity: Int) -> (UnsafeMutablePointer<Float>, Int) {
        let reused: (UInt, Int)? = state.withLock { state in
            guard let fit = state.bestFit(capacity, limit: capacity * Self.largestWasteFactor) else { return nil }
            return (state.pop(fit), fit)
        }
        if let (address, fit) = reused { return (UnsafeMutablePointer(bitPattern: address)!, fit) }
        freshCount.add(1, ordering: .relaxed)
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(capacity, 1) * MemoryLayout<Float>.stride, alignment: 64)
        return (raw.bindMemory(to: Float.self, capacity: max(capacity, 1)), capacity)
    }

    func give(_ pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        let bytes = capacity * MemoryLayout<Float>.stride
        let kept = state.withLock { state -> Bool in
            guard state.idleBytes + bytes <= maxIdleBytes else { return false }
            state.push(UInt(bitPattern: pointer), capacity: capacity)
            return true
        }
        if !kept { UnsafeMutableRawPointer(pointer).deallocate() }
    }
}

/// What the tensor buffer pool did, for benchmarks that show memory is planned: after warm-up frames,
/// frames of the same size take every buffer from the pool.
public enum TensorMemory {
    /// Buffers allocated so far because no idle buffer of the pool could hold them (in every thread of the process).
    public static var freshBuffers: Int { BufferPool.shared.freshCount.load(ordering: .relaxed) }
}
