/// The request line of a request head: `METHOD TARGET HTTP/1.x`; the target's query is left off `path`.
public struct HTTPRequestLine: Equatable, Sendable {
    public let method: String
    public let path: String

    public init?(_ head: [UInt8]) {
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
public struct HTTPResponse: Sendable {
    public var status: Int
    public var reason: String
    public var contentType: String
    public var body: [UInt8]
    public var extraHeaders: [String] = []
    /// HEAD: the headers of the GET answer, no body.
    public var omitsBody = false

    public init(status: Int, reason: String, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
        self.status = status
        self.reason = reason
        self.contentType = contentType
        self.body = body
    }

    public init(status: Int, reason: String, contentType: String = "text/plain; charset=utf-8", body: String) {
        self.init(status: status, reason: reason, contentType: contentType, body: Array(body.utf8))
    }

    public static func notFound(_ hint: String) -> HTTPResponse { HTTPResponse(status: 404, reason: "Not Found", body: "not found; \(hint)\n") }

    public static let badRequest = HTTPResponse(status: 400, reason: "Bad Request", body: "not an HTTP/1.x request\n")

    /// 405 naming the methods `path` answers.
    public static func methodNotAllowed(allowed: [String]) -> HTTPResponse {
        var response = HTTPResponse(status: 405, reason: "Method Not Allowed", body: "only \(allowed.joined(separator: " and "))\n")
        response.extraHeaders = ["Allow: \(allowed.joined(separator: ", "))"]
        return response
    }

    public var bytes: [UInt8] {
        let lines =
            ["HTTP/1.1 \(status) \(reason)", "Content-Type: \(contentType)", "Content-Length: \(body.count)", "Connection: close"]
            + extraHeaders
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8) + (omitsBody ? [] : body)
    }
}
