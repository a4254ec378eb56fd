// The only file that talks to protobuf-c: each message's conversion to and from the generated C structs.
// Packing borrows Swift values into arena-owned C memory; unpacking copies out and frees at once.
internal import CLadonProto

#if canImport(Glibc)
    import Glibc
#endif

// MARK: - Frame header

extension CArena {
    func header(_ header: FrameHeader) -> UnsafeMutablePointer<Ladon__FrameHeader> {
        let pointer = make(Ladon__FrameHeader(), ladon__frame_header__init)
        pointer.pointee.node_id = string(header.nodeID)
        pointer.pointee.sequence = header.sequence
        pointer.pointee.capture_time_us = header.captureTimeMicroseconds
        pointer.pointee.source = string(header.source)
        pointer.pointee.dropped_before = header.droppedBefore
        return pointer
    }
}

private func swiftHeader(_ header: Ladon__FrameHeader, _ required: Required) throws(WireError) -> FrameHeader {
    FrameHeader(
        nodeID: try required.text(header.node_id, "header.node_id"), sequence: header.sequence,
        captureTimeMicroseconds: header.capture_time_us, source: try required.text(header.source, "header.source"),
        droppedBefore: header.dropped_before)
}

// MARK: - Latent

extension LatentMessage {
    public func serialized() -> [UInt8] {
        let arena = CArena()
        defer { arena.release() }
        var message = Ladon__Latent()
        ladon__latent__init(&message)
        message.header = arena.header(header)
        message.model = arena.identity(model)
        message.original_size = arena.size(originalSize)
        message.input_size = arena.size(inputSize)
        message.resized_size = arena.size(resizedSize)
        message.n_latent_shape = latentShape.count
        message.latent_shape = arena.array(latentShape.map { UInt32(clamping: $0) })
        message.coded = arena.bytes(coded)
        return pack(&message, ladon__latent__get_packed_size, ladon__latent__pack)
    }

    public init(serialized bytes: [UInt8]) throws(WireError) {
        self = try unpack("Latent", bytes, limit: Self.maximumSize, ladon__latent__unpack, ladon__latent__free_unpacked) {
            (message) throws(WireError) in
            let required = Required("Latent")
            return LatentMessage(
                header: try swiftHeader(try required(message.header, "header"), required),
                model: try swiftIdentity(try required(message.model, "model"), required),
                originalSize: swiftSize(try required(message.original_size, "original_size")),
                inputSize: swiftSize(try required(message.input_size, "input_size")),
                resizedSize: swiftSize(try required(message.resized_size, "resized_size")),
                latentShape: try required.bounded(message.latent_shape, message.n_latent_shape, "latent_shape", limit: 8).map { Int($0) },
                coded: swiftBytes(message.coded))
        }
    }
}

// MARK: - Frame

extension FrameMessage {
    public func serialized() -> [UInt8] {
        let arena = CArena()
        defer { arena.release() }
        var message = Ladon__Frame()
        ladon__frame__init(&message)
        message.header = arena.header(header)
        message.jpeg = arena.bytes(jpeg)
        return pack(&message, ladon__frame__get_packed_size, ladon__frame__pack)
    }

    public init(serialized bytes: [UInt8]) throws(WireError) {
        self = try unpack("Frame", bytes, limit: Self.maximumSize, ladon__frame__unpack, ladon__frame__free_unpacked) {
            (message) throws(WireError) in
            let required = Required("Frame")
            let header = try swiftHeader(try required(message.header, "header"), required)
            guard message.jpeg.len > 0 else { throw .missingField(message: "Frame", field: "jpeg") }
            return FrameMessage(header: header, jpeg: swiftBytes(message.jpeg))
        }
    }
}

// MARK: - Result

/// What one Result may hold: far more than any head gives, far less than a hostile count could ask to allocate.
private enum ResultBounds {
    static let topClasses = 1_000
    static let detections = 10_000
    static let classNames = 256
    static let timings = 64
}

extension ResultMessage {
    public func serialized() -> [UInt8] {
        let arena = CArena()
        defer { arena.release() }
        var message = Ladon__Result()
        ladon__result__init(&message)
        message.header = arena.header(header)
        message.model = arena.identity(model)
        message.original_size = arena.size(originalSize)
        if let classification = tasks.classification {
            let top = classification.top.map { score in
                let entry = arena.make(Ladon__ClassScore(), ladon__class_score__init)
                entry.pointee.class_index = UInt32(clamping: score.classIndex)
                entry.pointee.name = arena.string(score.name)
                entry.pointee.probability = score.probability
                return Optional(entry)
            }
            let block = arena.make(Ladon__Classification(), ladon__classification__init)
            block.pointee.n_top = top.count
            block.pointee.top = arena.array(top)
            message.classification = block
        }
        if let detections = tasks.detections {
            let objects = detections.map { object in
                let entry = arena.make(Ladon__DetectedObject(), ladon__detected_object__init)
                (entry.pointee.x1, entry.pointee.y1) = (object.box.x1, object.box.y1)
                (entry.pointee.x2, entry.pointee.y2) = (object.box.x2, object.box.y2)
                entry.pointee.label = UInt32(clamping: object.label)
                entry.pointee.name = arena.string(object.name)
                entry.pointee.score = object.score
                return Optional(entry)
            }
            let block = arena.make(Ladon__Detections(), ladon__detections__init)
            block.pointee.n_objects = objects.count
            block.pointee.objects = arena.array(objects)
            message.detections = block
        }
        if let segmentation = tasks.segmentation {
            let block = arena.make(Ladon__Segmentation(), ladon__segmentation__init)
            block.pointee.height = UInt32(clamping: segmentation.size.height)
            block.pointee.width = UInt32(clamping: segmentation.size.width)
            block.pointee.encoding = LADON__SEGMENTATION__ENCODING__ENCODING_RLE
            block.pointee.data = arena.bytes(segmentation.runLengthEncoded())
            block.pointee.n_class_names = segmentation.classNames.count
            block.pointee.class_names = arena.array(segmentation.classNames.map { Optional(arena.string($0)) })
            message.segmentation = block
        }
        message.n_timings = timings.count
        message.timings = arena.array(arena.timings(timings))
        message.latent_bytes = latentBytes
        message.error = arena.string(error ?? "")
        if let latent { message.latent = arena.bytes(latent) }
        return pack(&message, ladon__result__get_packed_size, ladon__result__pack)
    }

    public init(serialized bytes: [UInt8]) throws(WireError) {
        self = try unpack("Result", bytes, limit: Self.maximumSize, ladon__result__unpack, ladon__result__free_unpacked) {
            (message) throws(WireError) in
            let required = Required("Result")
            let error = try required.text(message.error, "error", limit: TextBounds.sentence)
            let classification = try message.classification.map { (block) throws(WireError) in
                let top = try required.bounded(block.pointee.top, block.pointee.n_top, "classification.top", limit: ResultBounds.topClasses)
                return Classification(
                    top: try top.compactMap { $0 }.map { (entry) throws(WireError) in
                        ClassScore(
                            classIndex: Int(entry.pointee.class_index), name: try required.text(entry.pointee.name, "classification.top.name"),
                            probability: try required.finite(entry.pointee.probability, "classification.top.probability"))
                    })
            }
            let detections = try message.detections.map { (block) throws(WireError) in
                try required.bounded(block.pointee.objects, block.pointee.n_objects, "detections.objects", limit: ResultBounds.detections)
                    .compactMap { $0 }.map { (entry) throws(WireError) in
                        let object = entry.pointee
                        let corners = [object.x1, object.y1, object.x2, object.y2]
                        guard corners.allSatisfy(\.isFinite) else {
                            throw .invalidField(
                                message: required.message, field: "detections.objects.box", reason: "corners \(corners) are not all finite")
                        }
                        return DetectedObject(
                            box: Box(x1: object.x1, y1: object.y1, x2: object.x2, y2: object.y2),
                            label: Int(object.label), name: try required.text(object.name, "detections.objects.name"),
                            score: try required.finite(object.score, "detections.objects.score"))
                    }
            }
            return ResultMessage(
                header: try swiftHeader(try required(message.header, "header"), required),
                model: try swiftIdentity(try required(message.model, "model"), required),
                originalSize: swiftSize(try required(message.original_size, "original_size")),
                tasks: TaskResults(
                    classification: classification, detections: detections,
                    segmentation: try message.segmentation.map { (block) throws(WireError) in try swiftSegmentation(block.pointee) }),
                timings: try swiftTimings(message.timings, message.n_timings, "timings", required),
                latentBytes: message.latent_bytes,
                error: error.isEmpty ? nil : error,
                latent: try swiftLatent(message.latent, required))
        }
    }
}

/// A Result's kept latent: absent when empty, refused beyond a Latent's own limit.
private func swiftLatent(_ bytes: ProtobufCBinaryData, _ required: Required) throws(WireError) -> [UInt8]? {
    guard bytes.len > 0 else { return nil }
    guard bytes.len <= LatentMessage.maximumSize else {
        throw .invalidField(
            message: required.message, field: "latent", reason: "\(bytes.len) bytes, over a Latent's \(LatentMessage.maximumSize)")
    }
    return swiftBytes(bytes)
}

private func swiftSegmentation(_ block: Ladon__Segmentation) throws(WireError) -> SegmentationMap {
    guard block.encoding == LADON__SEGMENTATION__ENCODING__ENCODING_RLE else {
        throw .invalidField(message: "Segmentation", field: "encoding", reason: "unsupported encoding \(block.encoding.rawValue)")
    }
    let required = Required("Segmentation")
    let names = try required.bounded(block.class_names, block.n_class_names, "class_names", limit: ResultBounds.classNames)
    return try SegmentationMap(
        runLengthEncoded: swiftBytes(block.data),
        size: ImageSize(height: Int(block.height), width: Int(block.width)),
        classNames: try names.map { (name) throws(WireError) in try required.text(name, "class_names") })
}

private func swiftTimings(
    _ base: UnsafeMutablePointer<UnsafeMutablePointer<Ladon__StageTiming>?>?, _ count: Int, _ field: String, _ required: Required
) throws(WireError) -> [StageTiming] {
    try required.bounded(base, count, field, limit: ResultBounds.timings).compactMap { $0 }.map { (entry) throws(WireError) in
        StageTiming(
            stage: try required.text(entry.pointee.stage, "\(field).stage"),
            milliseconds: try required.finite(entry.pointee.milliseconds, "\(field).milliseconds"))
    }
}

extension CArena {
    func timings(_ timings: [StageTiming]) -> [UnsafeMutablePointer<Ladon__StageTiming>?] {
        timings.map { timing in
            let entry = make(Ladon__StageTiming(), ladon__stage_timing__init)
            entry.pointee.stage = string(timing.stage)
            entry.pointee.milliseconds = timing.milliseconds
            return Optional(entry)
        }
    }
}

// MARK: - Job and Answer (broker <-> worker)

extension JobMessage {
    public func serialized() -> [UInt8] {
        let arena = CArena()
        defer { arena.release() }
        var message = Ladon__Job()
        ladon__job__init(&message)
        message.latent = arena.bytes(latent)
        message.n_stages_before = stagesBefore.count
        message.stages_before = arena.array(arena.timings(stagesBefore))
        message.keep_latent = keepsLatent ? 1 : 0
        message.job_id = jobID
        return pack(&message, ladon__job__get_packed_size, ladon__job__pack)
    }

    public init(serialized bytes: [UInt8]) throws(WireError) {
        self = try unpack("Job", bytes, limit: Self.maximumSize, ladon__job__unpack, ladon__job__free_unpacked) {
            (message) throws(WireError) in
            guard message.latent.len > 0 else { throw .missingField(message: "Job", field: "latent") }
            return JobMessage(
                latent: swiftBytes(message.latent),
                stagesBefore: try swiftTimings(message.stages_before, message.n_stages_before, "stages_before", Required("Job")),
                keepsLatent: message.keep_latent != 0, jobID: message.job_id)
        }
    }
}

extension AnswerMessage {
    public func serialized() -> [UInt8] {
        let arena = CArena()
        defer { arena.release() }
        var message = Ladon__Answer()
        ladon__answer__init(&message)
        message.result = arena.bytes(result)
        message.failed = failed ? 1 : 0
        message.n_timings = timings.count
        message.timings = arena.array(arena.timings(timings))
        message.job_id = jobID
        return pack(&message, ladon__answer__get_packed_size, ladon__answer__pack)
    }

    public init(serialized bytes: [UInt8]) throws(WireError) {
        self = try unpack("Answer", bytes, limit: Self.maximumSize, ladon__answer__unpack, ladon__answer__free_unpacked) {
            (message) throws(WireError) in
            guard message.result.len > 0 else { throw .missingField(message: "Answer", field: "result") }
            return AnswerMessage(
                result: swiftBytes(message.result), failed: message.failed != 0,
                timings: try swiftTimings(message.timings, message.n_timings, "timings", Required("Answer")), jobID: message.job_id)
        }
    }
}

// MARK: - Control

extension ControlMessage {
    public func serialized() -> [UInt8] {
        let arena = CArena()
        defer { arena.release() }
        var message = Ladon__Control()
        ladon__control__init(&message)
        switch self {
        case let .hello(hello):
            let body = arena.make(Ladon__Hello(), ladon__hello__init)
            body.pointee.peer_id = arena.string(hello.peerID)
            body.pointee.role =
                switch hello.role {
                case .node: LADON__HELLO__ROLE__ROLE_NODE
                case .worker: LADON__HELLO__ROLE__ROLE_WORKER
                case .sink: LADON__HELLO__ROLE__ROLE_SINK
                }
            body.pointee.model = hello.model.map { arena.identity($0) }
            body.pointee.window = hello.window
            body.pointee.incarnation = hello.incarnation
            message.body_case = LADON__CONTROL__BODY_HELLO
            message.hello = body
        case let .bye(bye):
            let body = arena.make(Ladon__Bye(), ladon__bye__init)
            body.pointee.peer_id = arena.string(bye.peerID)
            body.pointee.reason = arena.string(bye.reason)
            message.body_case = LADON__CONTROL__BODY_BYE
            message.bye = body
        case let .credit(credit):
            let body = arena.make(Ladon__Credit(), ladon__credit__init)
            body.pointee.node_id = arena.string(credit.nodeID)
            body.pointee.grants = credit.grants
            message.body_case = LADON__CONTROL__BODY_CREDIT
            message.credit = body
        case let .ready(ready):
            let body = arena.make(Ladon__Ready(), ladon__ready__init)
            body.pointee.worker_id = arena.string(ready.workerID)
            body.pointee.capacity = ready.capacity
            message.body_case = LADON__CONTROL__BODY_READY
            message.ready = body
        case let .heartbeat(heartbeat):
            let body = arena.make(Ladon__Heartbeat(), ladon__heartbeat__init)
            body.pointee.peer_id = arena.string(heartbeat.peerID)
            body.pointee.sequence = heartbeat.sequence
            body.pointee.time_us = heartbeat.timeMicroseconds
            message.body_case = LADON__CONTROL__BODY_HEARTBEAT
            message.heartbeat = body
        }
        return pack(&message, ladon__control__get_packed_size, ladon__control__pack)
    }

    /// Parses a control message; the body and its sender's id are required.
    public init(serialized bytes: [UInt8]) throws(WireError) {
        self = try unpack("Control", bytes, limit: Self.maximumSize, ladon__control__unpack, ladon__control__free_unpacked) {
            (message) throws(WireError) in
            let required = Required("Control")
            func id(_ text: UnsafeMutablePointer<CChar>?, _ name: String, _ field: String) throws(WireError) -> String {
                let value = try Required(name).text(text, field)
                guard !value.isEmpty else { throw .missingField(message: name, field: field) }
                return value
            }
            switch message.body_case {
            case LADON__CONTROL__BODY_HELLO:
                let body = try required(message.hello, "hello")
                let peerID = try id(body.peer_id, "Hello", "peer_id")
                let role: Role =
                    switch body.role {
                    case LADON__HELLO__ROLE__ROLE_NODE: .node
                    case LADON__HELLO__ROLE__ROLE_WORKER: .worker
                    case LADON__HELLO__ROLE__ROLE_SINK: .sink
                    case LADON__HELLO__ROLE__ROLE_UNSPECIFIED: throw .missingField(message: "Hello", field: "role")
                    default: throw .invalidField(message: "Hello", field: "role", reason: "unknown role \(body.role.rawValue)")
                    }
                return .hello(
                    Hello(
                        peerID: peerID, role: role,
                        model: try body.model.map { (model) throws(WireError) in try swiftIdentity(model.pointee, Required("Hello")) },
                        window: body.window,
                        incarnation: body.incarnation))
            case LADON__CONTROL__BODY_BYE:
                let body = try required(message.bye, "bye")
                return .bye(
                    Bye(
                        peerID: try id(body.peer_id, "Bye", "peer_id"),
                        reason: try Required("Bye").text(body.reason, "reason", limit: TextBounds.sentence)))
            case LADON__CONTROL__BODY_CREDIT:
                let body = try required(message.credit, "credit")
                return .credit(Credit(nodeID: try id(body.node_id, "Credit", "node_id"), grants: body.grants))
            case LADON__CONTROL__BODY_READY:
                let body = try required(message.ready, "ready")
                return .ready(Ready(workerID: try id(body.worker_id, "Ready", "worker_id"), capacity: body.capacity))
            case LADON__CONTROL__BODY_HEARTBEAT:
                let body = try required(message.heartbeat, "heartbeat")
                return .heartbeat(
                    Heartbeat(
                        peerID: try id(body.peer_id, "Heartbeat", "peer_id"), sequence: body.sequence,
                        timeMicroseconds: body.time_us))
            default:
                throw .missingField(message: "Control", field: "body")
            }
        }
    }
}

// MARK: - Shared conversions

/// Packs a filled C message into exactly its packed size.
private func pack<T>(
    _ message: inout T, _ size: (UnsafePointer<T>?) -> Int,
    _ write: (UnsafePointer<T>?, UnsafeMutablePointer<UInt8>?) -> Int
) -> [UInt8] {
    withUnsafePointer(to: &message) { pointer in
        var bytes = [UInt8](repeating: 0, count: size(pointer))
        let written = bytes.withUnsafeMutableBufferPointer { write(pointer, $0.baseAddress) }
        precondition(written == bytes.count, "protobuf-c packed \(written) of \(bytes.count) bytes")
        return bytes
    }
}

/// The one unpacking funnel: size limit, protobuf-c parse within an allocation budget, conversion, free.
private func unpack<T, R>(
    _ name: String, _ bytes: [UInt8], limit: Int,
    _ parse: (UnsafeMutablePointer<ProtobufCAllocator>?, Int, UnsafePointer<UInt8>?) -> UnsafeMutablePointer<T>?,
    _ free: (UnsafeMutablePointer<T>?, UnsafeMutablePointer<ProtobufCAllocator>?) -> Void,
    _ convert: (T) throws(WireError) -> R
) throws(WireError) -> R {
    guard bytes.count <= limit else { throw .tooLarge(message: name, size: bytes.count, limit: limit) }
    let budget = AllocationBudget(bytes: bytes.count)
    var allocator = budget.allocator
    // The allocator holds the budget unretained: it must outlive the parse and the free.
    defer { withExtendedLifetime(budget) {} }
    return try withUnsafeMutablePointer(to: &allocator) { (allocator) throws(WireError) -> R in
        let parsed = bytes.withUnsafeBufferPointer { parse(allocator, $0.count, $0.baseAddress) }
        guard let parsed else {
            if budget.exceeded { throw .decodingBudget(message: name, size: bytes.count, budget: budget.limit) }
            throw .malformed(message: name, size: bytes.count)
        }
        defer { free(parsed, allocator) }
        return try convert(parsed.pointee)
    }
}

/// What protobuf-c may allocate while it parses one message. It allocates before any count can be
/// checked, and a repeated field of empty sub-messages costs it a 64-byte struct and a pointer per
/// 2-byte entry on the wire: a 32 MB Result of empty detections asked for 1.1 GB. The budget is twice
/// the message (strings and bytes are copied) plus 8 MiB (room for the entries the repeated-field bounds
/// allow: 10,000 detections with boxes and names take about 1.5 MB); past it the allocator fails, and
/// protobuf-c frees what it had and returns NULL.
private final class AllocationBudget {
    let limit: Int
    private var remaining: Int
    private(set) var exceeded = false

    /// What the entries the repeated-field bounds allow may cost beyond the copied bytes.
    static let entries = 8 << 20

    init(bytes: Int) {
        limit = 2 * bytes + AllocationBudget.entries

        remaining = limit
    }

    /// A protobuf-c allocator drawing on this budget; valid while the budget lives.
    var allocator: ProtobufCAllocator {
        ProtobufCAllocator(
            alloc: { data, size in
                guard let data else { return nil }
                let budget = Unmanaged<AllocationBudget>.fromOpaque(data).takeUnretainedValue()
                guard size <= budget.remaining else {
                    budget.exceeded = true
                    return nil
                }
                budget.remaining -= size
                return malloc(max(size, 1))
            },
            free: { _, pointer in Glibc.free(pointer) },
            allocator_data: Unmanaged.passUnretained(self).toOpaque())
    }
}

/// Proto3 message fields have presence; a required one that is absent names itself in the error.
private struct Required {
    let message: String
    init(_ message: String) { self.message = message }

    func callAsFunction<T>(_ field: UnsafeMutablePointer<T>?, _ name: String) throws(WireError) -> T {
        guard let field else { throw .missingField(message: message, field: name) }
        return field.pointee
    }

    /// A repeated field's elements, refused when there are more than `limit` (the wire could ask for millions).
    func bounded<T>(_ base: UnsafeMutablePointer<T>?, _ count: Int, _ name: String, limit: Int) throws(WireError) -> [T] {
        guard count <= limit else { throw .invalidField(message: message, field: name, reason: "\(count) entries, at most \(limit) allowed") }
        return swiftArray(base, count)
    }

    /// A string field (absent is empty), refused when longer than `limit` bytes before a String is made of it.
    func text(_ text: UnsafeMutablePointer<CChar>?, _ name: String, limit: Int = TextBounds.name) throws(WireError) -> String {
        guard let text else { return "" }
        let length = strlen(text)
        guard length <= limit else { throw .invalidField(message: message, field: name, reason: "\(length) bytes, at most \(limit) allowed") }
        return String(cString: text)
    }
}

extension Required {
    /// A float field that must be a number: no head, timer or model gives NaN or infinity, and neither
    /// survives the sink's JSON document.
    func finite<Value: BinaryFloatingPoint>(_ value: Value, _ name: String) throws(WireError) -> Value {
        guard value.isFinite else { throw .invalidField(message: message, field: name, reason: "\(value) is not a finite number") }
        return value
    }
}

/// How long a string field may be. protobuf-c has already copied it (the message's size limit bounds
/// that); the bound keeps a megabyte node id from riding on into logs, topics, file names and maps.
enum TextBounds {
    /// Ids, sources, names of classes, stages and backbones: peer ids are at most
    /// `PeerRoute.maximumPeerIDBytes`, file base names 255, and no name comes near this.
    static let name = 1 << 10
    /// A Result's error and a Bye's reason: one line naming a problem, which may quote names.
    static let sentence = 4 << 10
}

private func swiftBytes(_ data: ProtobufCBinaryData) -> [UInt8] {
    guard data.len > 0, let base = data.data else { return [] }
    return Array(UnsafeBufferPointer(start: base, count: data.len))
}

private func swiftArray<T>(_ base: UnsafeMutablePointer<T>?, _ count: Int) -> [T] {
    guard count > 0, let base else { return [] }
    return Array(UnsafeBufferPointer(start: base, count: count))
}

private func swiftSize(_ size: Ladon__ImageSize) -> ImageSize {
    ImageSize(height: Int(size.height), width: Int(size.width))
}

private func swiftIdentity(_ identity: Ladon__ModelIdentity, _ required: Required) throws(WireError) -> ModelIdentity {
    ModelIdentity(
        backbone: try required.text(identity.backbone, "model.backbone"), beta: try required.finite(identity.beta, "model.beta"),
        weightsHash: identity.weights_hash)
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

    func bytes(_ data: [UInt8]) -> ProtobufCBinaryData {
        ProtobufCBinaryData(len: data.count, data: array(data))
    }

    func size(_ size: ImageSize) -> UnsafeMutablePointer<Ladon__ImageSize> {
        let pointer = make(Ladon__ImageSize(), ladon__image_size__init)
        pointer.pointee.height = UInt32(clamping: size.height)
        pointer.pointee.width = UInt32(clamping: size.width)
        return pointer
    }

    func identity(_ model: ModelIdentity) -> UnsafeMutablePointer<Ladon__ModelIdentity> {
        let pointer = make(Ladon__ModelIdentity(), ladon__model_identity__init)
        pointer.pointee.backbone = string(model.backbone)
        pointer.pointee.beta = model.beta
        pointer.pointee.weights_hash = model.weightsHash
        return pointer
    }

    func release() {
        for allocation in allocations { allocation.deallocate() }
        allocations.removeAll()
    }
}
