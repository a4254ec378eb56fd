// The only file that talks to libzmq: every raw pointer and return code of the transport stays here.
internal import CZeroMQ
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

// MARK: - The checked funnel

/// Runs a libzmq call until it is not interrupted: EINTR is retried, EAGAIN is returned as `nil`,
/// any other failure throws a `TransportError` naming the operation.
@inline(__always)
private func checked(_ operation: @autoclosure () -> String, _ call: () -> Int32) throws(TransportError) -> Int32? {
    while true {
        let result = call()
        if result >= 0 { return result }
        let code = zmq_errno()
        if code == EINTR { continue }
        if code == EAGAIN { return nil }
        throw TransportError(libzmq: code, operation: operation())
    }
}

extension TransportError {
    fileprivate init(libzmq code: Int32, operation: String) {
        self.init(operation: operation, code: code, reason: String(cString: zmq_strerror(code)))
    }

    fileprivate static func closed(_ operation: String) -> TransportError {
        TransportError(operation: operation, code: ENOTSOCK, reason: "socket is closed")
    }

    /// The context was closed while the call waited (ETERM): the owner should close its sockets and stop.
    public var isContextTerminated: Bool { code == ETERM }
    /// A ROUTER with `routerMandatory` was asked to send to a peer it does not know.
    public var isUnroutable: Bool { code == EHOSTUNREACH }
}

// MARK: - CurveZMQ keys

extension CurveKey {
    /// Decodes 40 Z85 characters; `nil` for any other text.
    public init?(z85 text: String) {
        let characters = Array(text.utf8)
        guard characters.count == 40, characters.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        var decoded = [UInt8](repeating: 0, count: 32)
        let ok = (characters + [0]).withUnsafeBufferPointer { source in
            source.withMemoryRebound(to: CChar.self) { zmq_z85_decode(&decoded, $0.baseAddress) != nil }
        }
        guard ok else { return nil }
        self.init(bytes: decoded)
    }

    /// The key as 40 Z85 characters.
    public var z85: String {
        var text = [CChar](repeating: 0, count: 41)
        _ = bytes.withUnsafeBufferPointer { zmq_z85_encode(&text, $0.baseAddress, 32) }
        return String(decoding: text.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension Curve {
    /// Whether this libzmq was built with CURVE (libsodium).
    public static var isAvailable: Bool { zmq_has("curve") == 1 }

    /// A fresh key pair from libzmq (libsodium's random source).
    public static func keyPair() throws(TransportError) -> (publicKey: CurveKey, secretKey: CurveKey) {
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        _ = try checked("make a CURVE key pair") { zmq_curve_keypair(&publicText, &secretText) }
        func key(_ text: [CChar]) throws(TransportError) -> CurveKey {
            guard let key = CurveKey(z85: String(decoding: text.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)) else {
                throw TransportError(operation: "make a CURVE key pair", code: EINVAL, reason: "libzmq returned a malformed key")
            }
            return key
        }
        return (try key(publicText), try key(secretText))
    }

    /// The public key that belongs to `secretKey`.
    public static func publicKey(of secretKey: CurveKey) throws(TransportError) -> CurveKey {
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = Array(secretKey.z85.utf8CString)
        _ = try checked("derive a CURVE public key") { zmq_curve_public(&publicText, &secretText) }
        guard let key = CurveKey(z85: String(decoding: publicText.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)) else {
            throw TransportError(operation: "derive a CURVE public key", code: EINVAL, reason: "libzmq returned a malformed key")
        }
        return key
    }
}

// MARK: - Context

/// A libzmq context: the I/O threads that every socket of a process shares.
///
/// `@unchecked Sendable`: libzmq contexts are thread-safe; the handle is only read or cleared under `handle`'s lock.
public final class Context: @unchecked Sendable {
    private let handle: Mutex<UnsafeMutableRawPointer?>

    public init(ioThreads: Int = 1) throws(TransportError) {
        guard let raw = zmq_ctx_new() else { throw TransportError(libzmq: zmq_errno(), operation: "create context") }
        do {
            _ = try checked("set io threads \(ioThreads)") { zmq_ctx_set(raw, ZMQ_IO_THREADS, Int32(clamping: ioThreads)) }
        } catch {
            zmq_ctx_term(raw)
            throw error
        }
        handle = Mutex(raw)
    }

    /// The version of the libzmq this process runs with (`4.3.4`), for the build's identity in metrics.
    public static var libraryVersion: String {
        var (major, minor, patch): (Int32, Int32, Int32) = (0, 0, 0)
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }

    /// Makes a socket with its linger set explicitly (default 0: unsent messages are dropped on close).
    public func socket(_ kind: SocketKind, lingerMilliseconds: Int = 0) throws(TransportError) -> Socket {
        let raw = try handle.withLock { (context) throws(TransportError) -> UnsafeMutableRawPointer in
            guard let context else { throw TransportError(operation: "create \(kind) socket", code: ETERM, reason: "context is closed") }
            guard let socket = zmq_socket(context, kind.zmqType) else {
                throw TransportError(libzmq: zmq_errno(), operation: "create \(kind) socket")
            }
            return socket
        }
        return try Socket(raw, kind: kind, context: self, lingerMilliseconds: lingerMilliseconds)
    }

    /// Makes blocked calls on every socket fail with ETERM, then waits until all sockets are closed and
    /// their lingering messages sent. Idempotent; `deinit` calls it. (zmq_ctx_term alone does both;
    /// a zmq_ctx_shutdown first can cut short the linger of sockets already closed, losing their last
    /// messages, such as ingest's end-of-stream Bye.)
    public func close() {
        handle.withLock { context in
            guard let raw = context else { return }
            context = nil
            while zmq_ctx_term(raw) != 0 && zmq_errno() == EINTR {}
        }
    }

    deinit { close() }
}

extension SocketKind {
    fileprivate var zmqType: Int32 {
        switch self {
        case .pair: ZMQ_PAIR
        case .publisher: ZMQ_PUB
        case .subscriber: ZMQ_SUB
        case .request: ZMQ_REQ
        case .reply: ZMQ_REP
        case .dealer: ZMQ_DEALER
        case .router: ZMQ_ROUTER
        case .pull: ZMQ_PULL
        case .push: ZMQ_PUSH
        }
    }
}

// MARK: - Socket

/// One ZeroMQ socket. ZeroMQ's rule holds: a socket is used by one thread at a time, so this type is
/// not `Sendable`; create it on the thread that runs its I/O loop.
public final class Socket {
    public let kind: SocketKind
    // Keeps the context alive (its `deinit` would wait for this socket) until the socket is closed.
    private let context: Context
    private var handle: UnsafeMutableRawPointer?
    // zmq_msg_t must not move while libzmq holds it, so it lives at one heap address for the socket's life.
    private let message: UnsafeMutablePointer<zmq_msg_t>

    fileprivate init(_ raw: UnsafeMutableRawPointer, kind: SocketKind, context: Context, lingerMilliseconds: Int) throws(TransportError) {
        self.kind = kind
        self.context = context
        handle = raw
        message = .allocate(capacity: 1)
        try set(.linger(milliseconds: lingerMilliseconds))
    }

    /// Closes the socket; later calls fail with ENOTSOCK. Idempotent; `deinit` calls it.
    public func close() {
        guard let raw = handle else { return }
        handle = nil
        zmq_close(raw)
    }

    deinit {
        close()
        message.deallocate()
    }

    public var isClosed: Bool { handle == nil }

    private func open(_ operation: @autoclosure () -> String) throws(TransportError) -> UnsafeMutableRawPointer {
        guard let handle else { throw .closed(operation()) }
        return handle
    }

    // MARK: Options

    public func set(_ option: SocketOption) throws(TransportError) {
        let raw = try open("set \(option)")
        func integer(_ name: Int32, _ value: Int) throws(TransportError) {
            var value = Int32(clamping: value)
            _ = try checked("set \(option)") { zmq_setsockopt(raw, name, &value, MemoryLayout<Int32>.size) }
        }
        func bytes(_ name: Int32, _ value: [UInt8]) throws(TransportError) {
            _ = try checked("set \(option)") { value.withUnsafeBytes { zmq_setsockopt(raw, name, $0.baseAddress, $0.count) } }
        }
        switch option {
        case let .linger(milliseconds): try integer(ZMQ_LINGER, milliseconds)
        case let .maxMessageSize(size):
            var value = Int64(size)
            _ = try checked("set \(option)") { zmq_setsockopt(raw, ZMQ_MAXMSGSIZE, &value, MemoryLayout<Int64>.size) }
        case let .sendHighWaterMark(messages): try integer(ZMQ_SNDHWM, messages)
        case let .receiveHighWaterMark(messages): try integer(ZMQ_RCVHWM, messages)
        case let .routingID(id): try bytes(ZMQ_ROUTING_ID, id)
        case let .immediate(on): try integer(ZMQ_IMMEDIATE, on ? 1 : 0)
        case let .routerMandatory(on): try integer(ZMQ_ROUTER_MANDATORY, on ? 1 : 0)
        case let .routerHandover(on): try integer(ZMQ_ROUTER_HANDOVER, on ? 1 : 0)
        case let .probeRouter(on): try integer(ZMQ_PROBE_ROUTER, on ? 1 : 0)
        case let .subscribe(prefix): try bytes(ZMQ_SUBSCRIBE, prefix)
        case let .unsubscribe(prefix): try bytes(ZMQ_UNSUBSCRIBE, prefix)
        case let .curveServer(secretKey):
            try integer(ZMQ_CURVE_SERVER, 1)
            try bytes(ZMQ_CURVE_SECRETKEY, secretKey.bytes)
        case let .curveClient(publicKey, secretKey, serverKey):
            try bytes(ZMQ_CURVE_SERVERKEY, serverKey.bytes)
            try bytes(ZMQ_CURVE_PUBLICKEY, publicKey.bytes)
            try bytes(ZMQ_CURVE_SECRETKEY, secretKey.bytes)
        case let .zapDomain(domain): try bytes(ZMQ_ZAP_DOMAIN, Array(domain.utf8))
        }
    }

    /// ZMQ_LINGER as libzmq holds it.
    public func lingerMilliseconds() throws(TransportError) -> Int {
        let raw = try open("get linger")
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        _ = try checked("get linger") { zmq_getsockopt(raw, ZMQ_LINGER, &value, &size) }
        return Int(value)
    }

    // MARK: Endpoints

    /// Binds and returns the endpoint actually bound (ZMQ_LAST_ENDPOINT): `tcp://127.0.0.1:*` comes back with its port.
    @discardableResult
    public func bind(_ endpoint: String) throws(TransportError) -> String {
        let raw = try open("bind \(endpoint)")
        _ = try checked("bind \(endpoint)") { zmq_bind(raw, endpoint) }
        return try lastEndpoint(raw, after: "bind \(endpoint)")
    }

    /// Starts connecting (libzmq reconnects in the background) and returns the endpoint as libzmq resolved it.
    @discardableResult
    public func connect(_ endpoint: String) throws(TransportError) -> String {
        let raw = try open("connect \(endpoint)")
        _ = try checked("connect \(endpoint)") { zmq_connect(raw, endpoint) }
        return try lastEndpoint(raw, after: "connect \(endpoint)")
    }

    public func disconnect(_ endpoint: String) throws(TransportError) {
        let raw = try open("disconnect \(endpoint)")
        _ = try checked("disconnect \(endpoint)") { zmq_disconnect(raw, endpoint) }
    }

    private func lastEndpoint(_ raw: UnsafeMutableRawPointer, after operation: String) throws(TransportError) -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        _ = try checked("\(operation): read last endpoint") { zmq_getsockopt(raw, ZMQ_LAST_ENDPOINT, &buffer, &size) }
        buffer[buffer.count - 1] = 0
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Sending

    /// Sends the frames as one multipart message, blocking while the high-water mark is reached.
    public func send(_ frames: [[UInt8]]) throws(TransportError) {
        guard try send(frames, wait: true) else { throw TransportError(libzmq: EAGAIN, operation: "send") }
    }

    /// Sends without blocking; `false` when the message cannot be queued now (high-water mark, no peer).
    public func trySend(_ frames: [[UInt8]]) throws(TransportError) -> Bool {
        try send(frames, wait: false)
    }

    private func send(_ frames: [[UInt8]], wait: Bool) throws(TransportError) -> Bool {
        precondition(!frames.isEmpty, "a ZeroMQ message has at least one frame")
        let raw = try open("send")
        for (index, frame) in frames.enumerated() {
            let more = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            // Only the first frame may be refused: libzmq accepts the rest of a started multipart message.
            let flags = more | (wait || index > 0 ? 0 : ZMQ_DONTWAIT)
            let sent = try checked("send frame \(index) of \(frames.count)") {
                frame.withUnsafeBytes { zmq_send(raw, $0.baseAddress, $0.count, flags) }
            }
            if sent == nil {
                guard index == 0 else { throw TransportError(libzmq: EAGAIN, operation: "send frame \(index)") }
                return false
            }
        }
        return true
    }

    // MARK: Receiving

    /// Receives one whole multipart message, blocking until it arrives.
    public func receive() throws(TransportError) -> [[UInt8]] {
        guard let frames = try receive(wait: true) else { throw TransportError(libzmq: EAGAIN, operation: "receive") }
        return frames
    }

    /// Receives one whole multipart message if one is waiting, else `nil`.
    public func tryReceive() throws(TransportError) -> [[UInt8]]? {
        try receive(wait: false)
    }

    /// Receives one whole multipart message if one is waiting, with the name the ZAP handler gave its
    /// sender's connection (the "User-Id" property; `nil` on a connection that was not authenticated).
    public func tryReceiveWithUserID() throws(TransportError) -> (frames: [[UInt8]], userID: String?)? {
        var userID: String?
        guard let frames = try receive(wait: false, userID: &userID) else { return nil }
        return (frames, userID)
    }

    private func receive(wait: Bool) throws(TransportError) -> [[UInt8]]? {
        var ignored: String?
        return try receive(wait: wait, userID: &ignored, readingUserID: false)
    }

    private func receive(wait: Bool, userID: inout String?, readingUserID: Bool = true) throws(TransportError) -> [[UInt8]]? {
        let raw = try open("receive")
        var frames: [[UInt8]] = []
        repeat {
            zmq_msg_init(message)
            defer { zmq_msg_close(message) }
            // Multipart delivery is atomic: once the first frame is here, the others are too.
            let flags = wait || !frames.isEmpty ? 0 : ZMQ_DONTWAIT
            guard try checked("receive frame \(frames.count)", { zmq_msg_recv(message, raw, flags) }) != nil else {
                guard frames.isEmpty else { throw TransportError(libzmq: EAGAIN, operation: "receive frame \(frames.count)") }
                return nil
            }
            let count = zmq_msg_size(message)
            frames.append(count == 0 ? [] : Array(UnsafeRawBufferPointer(start: zmq_msg_data(message), count: count)))
            // A ROUTER's routing-id frame is its own and carries no properties: ask the peer's frames.
            if readingUserID && userID == nil, let property = zmq_msg_gets(message, "User-Id") {
                userID = String(cString: property)
            }
        } while zmq_msg_more(message) == 1
        return frames
    }

    // MARK: Monitoring

    /// Starts libzmq's monitor for `events` on this socket and returns the reader of those events
    /// (an inproc PAIR of the same context). libzmq blocks on a monitor whose reader is gone, so read it
    /// often and close it (which stops the monitor first) before or with this socket.
    public func monitor(_ events: SocketEvents) throws(TransportError) -> SocketMonitor {
        let raw = try open("monitor")
        let endpoint = "inproc://ladon-monitor-\(UInt(bitPattern: raw))"
        _ = try checked("monitor \(endpoint)") { zmq_socket_monitor(raw, endpoint, Int32(events.rawValue)) }
        do throws(TransportError) {
            let reader = try context.socket(.pair)
            try reader.connect(endpoint)
            return SocketMonitor(reader, monitored: self)
        } catch {
            stopMonitoring()
            throw error
        }
    }

    fileprivate func stopMonitoring() {
        guard let raw = handle else { return }
        _ = zmq_socket_monitor(raw, nil, 0)
    }

    fileprivate func pollItem(_ events: PollEvents) throws(TransportError) -> zmq_pollitem_t {
        var wanted: Int16 = 0
        if events.contains(.readable) { wanted |= Int16(ZMQ_POLLIN) }
        if events.contains(.writable) { wanted |= Int16(ZMQ_POLLOUT) }
        return zmq_pollitem_t(socket: try open("poll"), fd: 0, events: wanted, revents: 0)
    }
}

// MARK: - Socket monitor

/// The events libzmq's monitor reports for one socket. Each arrives as two frames: 6 bytes (the event
/// id, a native-endian UInt16, then a UInt32 value) and the endpoint. Used on the monitored socket's thread.
public final class SocketMonitor {
    private let reader: Socket
    private weak var monitored: Socket?

    fileprivate init(_ reader: Socket, monitored: Socket) {
        self.reader = reader
        self.monitored = monitored
    }

    /// The next event if one is waiting, else `nil`.
    public func next() throws(TransportError) -> SocketEvent? {
        while let frames = try reader.tryReceive() {
            guard frames.count == 2, frames[0].count == 6 else { continue }
            let id = frames[0].withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) }
            return SocketEvent(kind: SocketEvents(rawValue: id), endpoint: String(decoding: frames[1], as: UTF8.self))
        }
        return nil
    }

    /// Stops the monitor, then closes the reader. Idempotent; `deinit` calls it.
    public func close() {
        guard !reader.isClosed else { return }
        monitored?.stopMonitoring()
        reader.close()
    }

    deinit { close() }
}

// MARK: - Poller

/// Waits on several sockets of one thread at once (`zmq_poll`).
public struct Poller {
    private var entries: [(socket: Socket, events: PollEvents)] = []

    public init() {}

    /// Registers a socket; its index in `poll`'s answer is the number of sockets added before it.
    @discardableResult
    public mutating func add(_ socket: Socket, events: PollEvents = .readable) -> Int {
        entries.append((socket, events))
        return entries.count - 1
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever, 0: just look) and returns, per registered socket,
    /// the events that are ready (all empty on timeout). A signal does not end the wait early.
    public func poll(timeoutMilliseconds: Int) throws(TransportError) -> [PollEvents] {
        var items = [zmq_pollitem_t]()
        items.reserveCapacity(entries.count)
        for entry in entries { items.append(try entry.socket.pollItem(entry.events)) }
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(timeoutMilliseconds)
        var timeout = timeoutMilliseconds
        while true {
            let count = items.count
            let result = items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, Int32(count), timeout) }
            if result >= 0 { break }
            let code = zmq_errno()
            guard code == EINTR else { throw TransportError(libzmq: code, operation: "poll \(count) sockets") }
            if timeoutMilliseconds > 0 {
                let left = clock.now.duration(to: deadline).components
                timeout = max(0, Int(left.seconds) * 1000 + Int(left.attoseconds / 1_000_000_000_000_000))
            }
        }
        return items.map { item in
            var ready: PollEvents = []
            if item.revents & Int16(ZMQ_POLLIN) != 0 { ready.insert(.readable) }
            if item.revents & Int16(ZMQ_POLLOUT) != 0 { ready.insert(.writable) }
            return ready
        }
    }
}
