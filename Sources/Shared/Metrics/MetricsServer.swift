import Foundation

/// A small HTTP/1.1 server for one resource: `GET /metrics` answers the registry in Prometheus' text
/// format. One thread, one connection at a time, each bounded by `HTTPLimits` and closed after its
/// answer (`Connection: close`). Only the request line is read; bodies, keep-alive and compression are
/// not spoken. Anything else is 404 (another path), 405 (another method on /metrics) or 400 (not an
/// HTTP request line).
///
/// Prometheus scrapes every few seconds with a timeout of 10 s by default; a slow or hostile client
/// delays a scrape by at most its read timeout.
public final class MetricsServer: Sendable {
    public typealias Limits = HTTPLimits

    public let registry: MetricsRegistry
    /// The address as bound, the kernel's port in place of 0.
    public var address: HTTPAddress { serving.listener.address }
    private let limits: Limits
    private let serving: HTTPServingThread

    /// Binds `address`, listens and starts the serving thread.
    public init(registry: MetricsRegistry, address requested: HTTPAddress, limits: Limits = Limits()) throws(HTTPServerError) {
        self.registry = registry
        self.limits = limits
        serving = HTTPServingThread(try HTTPListener(requested, serving: "metrics"))
        serving.start { [self] in serve() }
    }

    /// Stops the thread (within its poll interval) and closes the listening socket. Idempotent.
    public func close() { serving.close() }

    private func serve() {
        while !serving.isStopping {
            guard let connection = serving.listener.accept(timeoutMilliseconds: 100) else { continue }
            if let head = connection.readRequestHead(limits) {
                connection.answer(Self.respond(to: head) { self.registry.render() }, limits)
            }
            connection.close()
        }
    }

    /// The answer to a request head (the bytes up to the blank line); `body` renders the metrics.
    static func respond(to head: [UInt8], body: () -> String) -> HTTPResponse {
        guard let request = HTTPRequestLine(head) else { return .badRequest }
        guard request.path == "/metrics" else { return .notFound("metrics are at /metrics") }
        switch request.method {
        case "GET": return HTTPResponse(status: 200, reason: "OK", contentType: PrometheusText.contentType, body: body())
        case "HEAD":
            var response = HTTPResponse(status: 200, reason: "OK", contentType: PrometheusText.contentType, body: body())
            response.omitsBody = true
            return response
        default: return .methodNotAllowed(allowed: ["GET", "HEAD"])
        }
    }
}
