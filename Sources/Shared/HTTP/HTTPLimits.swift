/// What bounds one connection to a stage's HTTP endpoint, so that no client can hold the serving
/// thread: the request head must arrive whole within `readTimeoutSeconds` and fit in
/// `maximumHeadBytes` (431 otherwise), and an answer must leave within `writeTimeoutSeconds`.
public struct HTTPLimits: Sendable {
    public var maximumHeadBytes = 8 << 10
    public var readTimeoutSeconds = 2.0
    public var writeTimeoutSeconds = 2.0

    public init() {}
}

extension HTTPConnection {
    /// The request head read under `limits`; an oversized head is answered 431 here. `nil`: nothing to answer.
    public func readRequestHead(_ limits: HTTPLimits) -> [UInt8]? {
        switch readHead(limit: limits.maximumHeadBytes, timeout: limits.readTimeoutSeconds) {
        case let .head(bytes): return bytes
        case .tooLarge:
            answer(
                HTTPResponse(status: 431, reason: "Request Header Fields Too Large", body: "request head over \(limits.maximumHeadBytes) bytes\n"),
                limits)
            return nil
        case .closed, .timedOut: return nil
        }
    }

    /// Writes `response` whole within the write timeout, then finishes (the caller closes).
    public func answer(_ response: HTTPResponse, _ limits: HTTPLimits) {
        guard write(response.bytes, timeout: limits.writeTimeoutSeconds) else { return }
        finish()
    }
}
