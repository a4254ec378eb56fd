import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where `--metrics` serves: an IPv4 or IPv6 address (`127.0.0.1`, `[::1]`, `0.0.0.0`, `*` for every
/// IPv4 address, or a host name the resolver knows) and a port, 0 for one the kernel picks.
public struct MetricsAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `HOST:PORT`; `nil` for anything else.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") && host.count > 2 { host = String(host.dropFirst().dropLast()) }
        if host == "*" { host = "0.0.0.0" }
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace || $0 == "[" || $0 == "]" || $0 == "/" }) else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Why the metrics server could not start.
public struct MetricsServerError: Error, CustomStringConvertible {
    public let address: String
    public let operation: String
    public let reason: String

    public var description: String { "cannot serve metrics on \(address): \(operation): \(reason)" }
}

/// A small HTTP/1.1 server for one resource: `GET /metrics` answers the registry in Prometheus' text
/// format. One thread, one connection at a time, and every connection bounded so that no client can
/// hold it: the request head must arrive whole within `readTimeoutSeconds` and fit in
/// `maximumHeadBytes` (431 otherwise), the answer must leave within `writeTimeoutSeconds`, and each
/// connection is closed after its answer (`Connection: close`). Only the request line is read; bodies,
/// keep-alive and compression are not spoken. Anything else is 404 (another path), 405 (another method
/// on /metrics) or 400 (not an HTTP request line).
///
/// Prometheus scrapes every few seconds with a timeout of 10 s by default; a slow or hostile client
/// delays a scrape by at most its read timeout.
public final class MetricsServer: Sendable {
    public struct Limits: Sendable {
        public var maximumHeadBytes = 8 << 10
        public var readTimeoutSeconds = 2.0
        public var writeTimeoutSeconds = 2.0

        public init() {}
    }

    public let registry: MetricsRegistry
    /// The address as bound, the kernel's port in place of 0.
    public let address: MetricsAddress
    private let limits: Limits
    private let listener: Int32
    private let stopping = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)

    /// Binds `address`, listens and starts the serving thread.
    public init(registry: MetricsRegistry, address requested: MetricsAddress, limits: Limits = Limits()) throws(MetricsServerError) {
        self.registry = registry
        self.limits = limits
        let (listener, bound) = try Self.listen(requested)
        self.listener = listener
        address = bound
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    /// Stops the thread (within its poll interval) and closes the listening socket. Idempotent.
    public func close() {
        guard stopping.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        stopped.wait()
        Glibc.close(listener)
    }

    // MARK: Serving

    private func serve() {
        var poller = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
        while !stopping.load(ordering: .acquiring) {
            poller[0].revents = 0
            guard poll(&poller, 1, 100) > 0 else { continue }
            let client = accept(listener, nil, nil)
            // EAGAIN (the connection went away before accept), EINTR, ECONNABORTED, EMFILE: try again.
            guard client >= 0 else { continue }
            // Glibc's accept4 is not visible to Swift: close-on-exec is set at once, so a worker process that
            // ladon-edge serve starts meanwhile can inherit the connection only in this one call's window.
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            answer(client)
            Glibc.close(client)
        }
        stopped.signal()
    }

    /// Reads one request head, writes the answer, and lets the client read it before closing.
    private func answer(_ client: Int32) {
        let connection = Connection(descriptor: client)
        let head = connection.readHead(limit: limits.maximumHeadBytes, timeout: limits.readTimeoutSeconds)
        let response: HTTPResponse
        switch head {
        case let .head(bytes): response = Self.respond(to: bytes) { self.registry.render() }
        case .tooLarge:
            response = HTTPResponse(
                status: 431, reason: "Request Header Fields Too Large", body: "request head over \(limits.maximumHeadBytes) bytes\n")
        case .closed, .timedOut: return
        }
        guard connection.write(response.bytes, timeout: limits.writeTimeoutSeconds) else { return }
        // A close with request bytes still unread would reset the connection and could destroy the answer
        // in flight: say we are done, then read (a little, briefly) what the client still sends.
        shutdown(client, Int32(SHUT_WR))
        connection.drain(limit: 64 << 10, timeout: 0.2)
    }

    /// The answer to a request head (the bytes up to the blank line); `body` renders the metrics.
    static func respond(to head: [UInt8], body: () -> String) -> HTTPResponse {
        guard let request = HTTPRequestLine(head) else { return HTTPResponse(status: 400, reason: "Bad Request", body: "not an HTTP/1.x request\n") }
        guard request.path == "/metrics" else { return HTTPResponse(status: 404, reason: "Not Found", body: "not found; metrics are at /metrics\n") }
        switch request.method {
        case "GET": return HTTPResponse(status: 200, reason: "OK", contentType: PrometheusText.contentType, body: body())
        case "HEAD":
            var response = HTTPResponse(status: 200, reason: "OK", contentType: PrometheusText.contentType, body: body())
            response.omitsBody = true
            return response
        default:
            var response = HTTPResponse(status: 405, reason: "Method Not Allowed", body: "only GET and HEAD\n")
            response.extraHeaders = ["Allow: GET, HEAD"]
            return response
        }
    }

    // MARK: Binding

    private static func listen(_ address: MetricsAddress) throws(MetricsServerError) -> (Int32, MetricsAddress) {
        func failure(_ operation: String, _ code: Int32) -> MetricsServerError {
            MetricsServerError(address: "\(address)", operation: operation, reason: String(cString: strerror(code)))
        }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, "\(address.port)", &hints, &found)
        guard status == 0, let info = found else {
            throw MetricsServerError(address: "\(address)", operation: "resolve", reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(found) }
        let descriptor = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw failure("socket", errno) }
        var one: Int32 = 1
        // A restarted stage binds its port again at once, without waiting out the old connections' TIME_WAIT.
        _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw failure("bind", code)
        }
        guard Glibc.listen(descriptor, 16) == 0, fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK) == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw failure("listen", code)
        }
        return (descriptor, MetricsAddress(host: address.host, port: boundPort(descriptor) ?? address.port))
    }

    private static func boundPort(_ descriptor: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard status == 0 else { return nil }
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { pointer -> Int? in
            switch family {
            case AF_INET: return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            case AF_INET6: return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            default: return nil
            }
        }
    }
}

/// The request line of a request head: `METHOD TARGET HTTP/1.x`; the target's query is left off `path`.
struct HTTPRequestLine: Equatable {
    let method: String
    let path: String

    init?(_ head: [UInt8]) {
        let end = head.firstIndex(of: UInt8(ascii: "\n")) ?? head.endIndex
        var line = head[..<end]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 > 0x20 && $0 < 0x7F } }) else { return nil }
        let (method, target, version) = (
            String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self), String(decoding: parts[2], as: UTF8.self)
        )
        guard version.hasPrefix("HTTP/1."), method.allSatisfy({ $0.isUppercase }) else { return nil }
        self.method = method
        path = String(target.prefix { $0 != "?" })
    }
}

/// One answer, written whole and then the connection closed.
struct HTTPResponse {
    var status: Int
    var reason: String
    var contentType = "text/plain; charset=utf-8"
    var body: String
    var extraHeaders: [String] = []
    /// HEAD: the headers of the GET answer, no body.
    var omitsBody = false

    var bytes: [UInt8] {
        let body = Array(body.utf8)
        let lines =
            ["HTTP/1.1 \(status) \(reason)", "Content-Type: \(contentType)", "Content-Length: \(body.count)", "Connection: close"]
            + extraHeaders
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8) + (omitsBody ? [] : body)
    }
}

/// One accepted, non-blocking connection, read and written under deadlines.
private struct Connection {
    enum Head {
        case head([UInt8])
        case tooLarge
        case closed
        case timedOut
    }

    let descriptor: Int32

    /// Reads until the blank line that ends a request head (CRLF CRLF, or LF LF from a lax client).
    func readHead(limit: Int, timeout: Double) -> Head {
        let deadline = PipelineClock.seconds() + timeout
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        while true {
            guard wait(for: POLLIN, until: deadline) else { return .timedOut }
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, min($0.count, limit + 1 - head.count), 0) }
            if count < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                return .closed
            }
            if count == 0 { return .closed }
            let searchFrom = max(0, head.count - 3)
            head += chunk[..<count]
            if let end = Self.endOfHead(head, from: searchFrom) { return .head(Array(head[..<end])) }
            if head.count > limit { return .tooLarge }
        }
    }

    static func endOfHead(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n") { return index }
                if index + 2 < bytes.count && bytes[index + 1] == UInt8(ascii: "\r") && bytes[index + 2] == UInt8(ascii: "\n") { return index }
            }
            index += 1
        }
        return nil
    }

    /// Writes all of `bytes`; `false` when the client stopped reading for `timeout` or went away.
    func write(_ bytes: [UInt8], timeout: Double) -> Bool {
        let deadline = PipelineClock.seconds() + timeout
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count > 0 {
                offset += count
                continue
            }
            guard count < 0, errno == EAGAIN || errno == EINTR, wait(for: POLLOUT, until: deadline) else { return false }
        }
        return true
    }

    /// Reads and drops up to `limit` bytes until the client closes or `timeout` passes.
    func drain(limit: Int, timeout: Double) {
        let deadline = PipelineClock.seconds() + timeout
        var chunk = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while total < limit, wait(for: POLLIN, until: deadline) {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            guard count > 0 else { return }
            total += count
        }
    }

    private func wait(for events: Int32, until deadline: Double) -> Bool {
        while true {
            let left = deadline - PipelineClock.seconds()
            guard left > 0 else { return false }
            var entry = pollfd(fd: descriptor, events: Int16(events), revents: 0)
            let status = poll(&entry, 1, Int32(max(1, min(left * 1000, 1000))))
            if status > 0 { return true }
            if status < 0 && errno != EINTR { return false }
        }
    }
}
