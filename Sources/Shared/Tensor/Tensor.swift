/// A dense float32 tensor in C order (row-major, last index fastest).
///
/// Images and feature maps are NCHW with N = 1 unless an op says otherwise. Tensors are values:
/// mutation copies the storage first when it is shared.
public struct Tensor: Sendable {
    public private(set) var shape: [Int]
    // Inlinable accessors below reach it from other modules (Shared calls them in its loops).
    @usableFromInline var storage: TensorStorage

    @inlinable public var count: Int { shape.reduce(1, *) }
    @inlinable public var rank: Int { shape.count }

    /// A tensor whose contents are unspecified; every op that creates one writes all of it.
    public init(uninitializedShape shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = TensorStorage(capacity: shape.reduce(1, *))
    }

    public init(zeros shape: [Int]) {
        self.init(repeating: 0, shape: shape)
    }

    public init(repeating value: Float, shape: [Int]) {
        self.init(uninitializedShape: shape)
        let count = self.count
        storage.base.initialize(repeating: value, count: count)
    }

    public init(shape: [Int], scalars: [Float]) {
        precondition(
            shape.reduce(1, *) == scalars.count,
            "shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        self.init(uninitializedShape: shape)
        scalars.withUnsafeBufferPointer { source in
            storage.base.update(from: source.baseAddress!, count: source.count)
        }
    }

    public var scalars: [Float] {
        withUnsafeBufferPointer { Array($0) }
    }

    /// Dimension `i` of a NCHW tensor, negative indices counting from the end.
    @inlinable public func dim(_ i: Int) -> Int { shape[i < 0 ? shape.count + i : i] }

    @inlinable public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.base, count: count))
    }

    @inlinable public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) {
            let copy = TensorStorage(capacity: count)
            copy.base.update(from: storage.base, count: count)
            storage = copy
        }
        return try body(UnsafeMutableBufferPointer(start: storage.base, count: count))
    }

    /// The same scalars seen with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        var view = self
        view.shape = newShape
        return view
    }

    public subscript(flat index: Int) -> Float {
        precondition(index >= 0 && index < count, "index \(index) out of range for \(shape)")
        return storage.base[index]
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor\(shape)" }
}
