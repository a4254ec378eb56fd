import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking HTTP client on loopback TCP, as raw as the tests need (any bytes, hang up early), with 10 s
/// timeouts so that a broken server fails the test instead of hanging it.
public final class HTTPClient {
    public struct Response: Sendable {
        public let statusLine: String
        public let headers: [String]
        public let body: String
    }

    private let descriptor: Int32

    public init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else {
            Glibc.close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    /// Sends what the socket takes; a server that closed early makes the rest fail quietly.
    public func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return }
            offset += count
        }
    }

    /// Everything until the server closes (or the timeout, or a reset).
    public func readAll() -> [UInt8] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return received }
            received += chunk[..<count]
        }
    }

    /// What arrives until `done` holds for the text so far, the server closes, or `seconds` pass.
    public func read(for seconds: Double, until done: (String) -> Bool) -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline && !done(String(decoding: received, as: UTF8.self)) {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 100) >= 0 else { break }
            guard entry.revents != 0 else { continue }
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            received += chunk[..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    public func close() { Glibc.close(descriptor) }

    public static func exchange(port: Int, _ request: String) throws -> Response {
        let client = try HTTPClient(port: port)
        defer { client.close() }
        client.send(Array(request.utf8))
        let text = String(decoding: client.readAll(), as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts[0].components(separatedBy: "\r\n")
        return Response(statusLine: head[0], headers: Array(head.dropFirst()), body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    /// The body of `GET path` as bytes (an image), asking the server to close after its answer.
    public static func getBytes(port: Int, _ path: String) throws -> [UInt8] {
        let client = try HTTPClient(port: port)
        defer { client.close() }
        client.send(Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8))
        let bytes = client.readAll()
        let separator = Array("\r\n\r\n".utf8)
        guard let end = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) else { return [] }
        return Array(bytes[(end + separator.count)...])
    }

    /// `GET path` on 127.0.0.1:`port`, asking the server to close after its answer (without it a
    /// keep-alive server such as Prometheus' holds the connection open). A chunked body is decoded.
    public static func get(port: Int, _ path: String) throws -> Response {
        let response = try exchange(port: port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n")
        guard response.headers.contains(where: { $0.lowercased() == "transfer-encoding: chunked" }) else { return response }
        // Each chunk: its size in hex, CRLF, the bytes, CRLF; a size of 0 ends the body.
        var rest = Array(response.body.utf8)[...]
        var body: [UInt8] = []
        while let lineEnd = rest.firstIndex(of: UInt8(ascii: "\r")),
            let size = Int(String(decoding: rest[..<lineEnd], as: UTF8.self), radix: 16), size > 0,
            lineEnd + 2 + size <= rest.endIndex
        {
            body += rest[(lineEnd + 2)..<(lineEnd + 2 + size)]
            rest = rest[min(rest.endIndex, lineEnd + 2 + size + 2)...]
        }
        return Response(statusLine: response.statusLine, headers: response.headers, body: String(decoding: body, as: UTF8.self))
    }
}
