internal import CLadonProto

/// Height and width in pixels.
public struct ImageSize: Sendable, Equatable, Codable {
    public var height: Int
    public var width: Int

    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }
}

/// The model a latent was made with (proto `ModelIdentity`).
public struct ModelIdentity: Sendable, Equatable, CustomStringConvertible {
    public var backbone: String
    public var beta: Double
    public var weightsHash: UInt64

    public init(backbone: String, beta: Double, weightsHash: UInt64) {
        self.backbone = backbone
        self.beta = beta
        self.weightsHash = weightsHash
    }

    public var description: String {
        "\(backbone) beta=\(beta) weights=\(String(weightsHash, radix: 16))"
    }
}

/// One frame's entropy-coded latent and what the edge needs to interpret it (proto `Latent`).
public struct LatentMessage: Sendable, Equatable {
    public var nodeID: String
    public var sequence: UInt64
    public var captureTimeMicroseconds: Int64
    public var model: ModelIdentity
    public var originalSize: ImageSize
    public var inputSize: ImageSize
    public var resizedSize: ImageSize
    /// Channels, height, width.
    public var latentShape: [Int]
    public var coded: [UInt8]

    public init(nodeID: String, sequence: UInt64, captureTimeMicroseconds: Int64, model: ModelIdentity,
                originalSize: ImageSize, inputSize: ImageSize, resizedSize: ImageSize, latentShape: [Int], coded: [UInt8]) {
        self.nodeID = nodeID
        self.sequence = sequence
        self.captureTimeMicroseconds = captureTimeMicroseconds
        self.model = model
        self.originalSize = originalSize
        self.inputSize = inputSize
        self.resizedSize = resizedSize
        self.latentShape = latentShape
        self.coded = coded
    }

    /// Protobuf wire bytes.
    public func serialized() -> [UInt8] {
        let arena = CArena()
        defer { arena.release() }
        let identity = arena.make(Ladon__ModelIdentity(), ladon__model_identity__init)
        identity.pointee.backbone = arena.string(model.backbone)
        identity.pointee.beta = model.beta
        identity.pointee.weights_hash = model.weightsHash

        var message = Ladon__Latent()
        ladon__latent__init(&message)
        message.node_id = arena.string(nodeID)
        message.sequence = sequence
        message.capture_time_us = captureTimeMicroseconds
        message.model = identity
        message.original_size = arena.size(originalSize)
        message.input_size = arena.size(inputSize)
        message.resized_size = arena.size(resizedSize)
        message.n_latent_shape = latentShape.count
        message.latent_shape = arena.array(latentShape.map { UInt32(clamping: $0) })
        message.coded = ProtobufCBinaryData(len: coded.count, data: arena.array(coded))
        var bytes = [UInt8](repeating: 0, count: ladon__latent__get_packed_size(&message))
        let written = bytes.withUnsafeMutableBufferPointer { ladon__latent__pack(&message, $0.baseAddress) }
        precondition(written == bytes.count, "protobuf-c packed \(written) of \(bytes.count) bytes")
        return bytes
    }

    /// Parses protobuf wire bytes; malformed input or a missing required field is a `WireError`.
    public init(serialized bytes: [UInt8]) throws(WireError) {
        let parsed = bytes.withUnsafeBufferPointer { ladon__latent__unpack(nil, $0.count, $0.baseAddress) }
        guard let parsed else { throw .malformed(message: "Latent", size: bytes.count) }
        defer { ladon__latent__free_unpacked(parsed, nil) }
        let message = parsed.pointee
        guard let model = message.model else { throw .missingField(message: "Latent", field: "model") }
        guard let original = message.original_size else { throw .missingField(message: "Latent", field: "original_size") }
        guard let input = message.input_size else { throw .missingField(message: "Latent", field: "input_size") }
        guard let resized = message.resized_size else { throw .missingField(message: "Latent", field: "resized_size") }
        nodeID = message.node_id.map { String(cString: $0) } ?? ""
        sequence = message.sequence
        captureTimeMicroseconds = message.capture_time_us
        self.model = ModelIdentity(backbone: model.pointee.backbone.map { String(cString: $0) } ?? "",
                                   beta: model.pointee.beta, weightsHash: model.pointee.weights_hash)
        originalSize = Self.swiftSize(original.pointee)
        inputSize = Self.swiftSize(input.pointee)
        resizedSize = Self.swiftSize(resized.pointee)
        latentShape = (0 ..< message.n_latent_shape).map { Int(message.latent_shape[$0]) }
        coded = message.coded.len == 0 ? [] : Array(UnsafeBufferPointer(start: message.coded.data, count: message.coded.len))
    }

    private static func swiftSize(_ size: Ladon__ImageSize) -> ImageSize {
        ImageSize(height: Int(size.height), width: Int(size.width))
    }
}

/// Owns the C memory a protobuf-c message points into while it is packed.
private final class CArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    func make<T>(_ value: T, _ initialize: (UnsafeMutablePointer<T>) -> Void) -> UnsafeMutablePointer<T> {
        let pointer = UnsafeMutablePointer<T>.allocate(capacity: 1)
        pointer.initialize(to: value)
        initialize(pointer)
        allocations.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    func array<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
        let pointer = UnsafeMutablePointer<T>.allocate(capacity: max(values.count, 1))
        pointer.initialize(from: values, count: values.count)
        allocations.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    func string(_ text: String) -> UnsafeMutablePointer<CChar> {
        array(Array(text.utf8CString))
    }

    func size(_ size: ImageSize) -> UnsafeMutablePointer<Ladon__ImageSize> {
        let pointer = make(Ladon__ImageSize(), ladon__image_size__init)
        pointer.pointee.height = UInt32(clamping: size.height)
        pointer.pointee.width = UInt32(clamping: size.width)
        return pointer
    }

    func release() {
        allocations.forEach { $0.deallocate() }
        allocations.removeAll()
    }
}
