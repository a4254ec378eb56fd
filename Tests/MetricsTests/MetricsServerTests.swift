import Foundation
import Shared
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The metrics server over real loopback TCP connections.
@Suite struct MetricsServerTests {
    static func server(limits: MetricsServer.Limits = MetricsServer.Limits()) throws -> MetricsServer {
        let registry = MetricsRegistry()
        registry.counter("ladon_test_frames_total", help: "Frames.").increment(by: 7)
        return try MetricsServer(registry: registry, address: HTTPAddress(host: "127.0.0.1", port: 0), limits: limits)
    }

    @Test func getMetricsAnswersTheRegistryAsPrometheusTextAndCloses() throws {
        let server = try Self.server()
        defer { server.close() }
        #expect(server.address.port > 0, "port 0 binds a port the kernel picks")
        let response = try HTTPClient.exchange(port: server.address.port, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n")
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(response.headers.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"))
        #expect(response.headers.contains("Connection: close"))
        #expect(response.body == server.registry.render())
        #expect(response.headers.contains("Content-Length: \(response.body.utf8.count)"))
        #expect(response.body.contains("ladon_test_frames_total 7\n"))
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found"), ("GET /metricsx HTTP/1.0\r\n\r\n", "HTTP/1.1 404 Not Found"),
        ("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 405 Method Not Allowed"),
        ("GET /metrics?name[]=x HTTP/1.1\n\n", "HTTP/1.1 200 OK"), ("\u{1}\u{2}garbage\r\n\r\n", "HTTP/1.1 400 Bad Request"),
        ("GET /metrics\r\n\r\n", "HTTP/1.1 400 Bad Request"), ("GET /metrics SPDY/3\r\n\r\n", "HTTP/1.1 400 Bad Request"),
    ])
    func otherRequestsAreAnsweredWithTheirStatus(request: String, statusLine: String) throws {
        let server = try Self.server()
        defer { server.close() }
        #expect(try HTTPClient.exchange(port: server.address.port, request).statusLine == statusLine)
    }

    @Test func headAnswersTheHeadersOfGetWithoutTheBody() throws {
        let server = try Self.server()
        defer { server.close() }
        let response = try HTTPClient.exchange(port: server.address.port, "HEAD /metrics HTTP/1.1\r\n\r\n")
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(response.body.isEmpty)
        #expect(response.headers.contains("Content-Length: \(server.registry.render().utf8.count)"))
    }

    @Test func anOversizedRequestHeadIsRefusedWith431AndTheServerKeepsServing() throws {
        let server = try Self.server()
        defer { server.close() }
        let filler = "GET /metrics HTTP/1.1\r\n" + String(repeating: "X-Filler: \(String(repeating: "a", count: 100))\r\n", count: 200)
        let refused = try HTTPClient.exchange(port: server.address.port, filler)
        #expect(refused.statusLine == "HTTP/1.1 431 Request Header Fields Too Large")
        #expect(try HTTPClient.exchange(port: server.address.port, "GET /metrics HTTP/1.1\r\n\r\n").statusLine == "HTTP/1.1 200 OK")
    }

    @Test func randomBytesAndClientsThatHangUpOrStaySilentDoNotStopTheServer() throws {
        var limits = MetricsServer.Limits()
        limits.readTimeoutSeconds = 0.3
        let server = try Self.server(limits: limits)
        defer { server.close() }
        var generator = SplitMix64(seed: 11)
        for round in 0..<20 {
            let bytes = (0..<(1 + Int(generator.next() % 20_000))).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let client = try HTTPClient(port: server.address.port)
            client.send(bytes)
            // Half of them hang up without reading; the others read whatever the server answers.
            if round % 2 == 0 { _ = client.readAll() }
            client.close()
        }
        let silent = try HTTPClient(port: server.address.port)
        defer { silent.close() }
        // The silent client is dropped after the read timeout; the next one is served.
        let response = try HTTPClient.exchange(port: server.address.port, "GET /metrics HTTP/1.1\r\n\r\n")
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(silent.readAll().isEmpty, "a client that sent nothing is closed without an answer")
    }

    @Test func aTakenPortIsAnErrorNamingTheAddress() throws {
        let server = try Self.server()
        defer { server.close() }
        #expect {
            try MetricsServer(registry: MetricsRegistry(), address: server.address)
        } throws: { error in
            "\(error)".hasPrefix("cannot serve metrics on 127.0.0.1:\(server.address.port): bind:")
        }
    }

    @Test func closeIsIdempotentAndReleasesThePort() throws {
        let server = try Self.server()
        let address = server.address
        server.close()
        server.close()
        let again = try MetricsServer(registry: MetricsRegistry(), address: address)
        again.close()
    }

    @Test(arguments: [
        ("127.0.0.1:9100", HTTPAddress(host: "127.0.0.1", port: 9100)), ("[::1]:0", HTTPAddress(host: "::1", port: 0)),
        ("*:80", HTTPAddress(host: "0.0.0.0", port: 80)), ("localhost:65535", HTTPAddress(host: "localhost", port: 65535)),
    ])
    func addressesAreHostColonPort(text: String, address: HTTPAddress) {
        #expect(HTTPAddress(text) == address)
    }

    @Test(arguments: ["9100", "127.0.0.1", "127.0.0.1:", ":9100", "h:65536", "h:-1", "h:x", "a b:1", "[]:1"])
    func anythingElseIsNotAnAddress(text: String) {
        #expect(HTTPAddress(text) == nil)
    }

    @Test func theMetricsOptionIsAUsageErrorWhenItIsNotAnAddress() throws {
        let spec = CommandSpec(command: "t", summary: "t", options: [.metrics])
        #expect(try spec.parse([]).metricsAddress() == nil)
        #expect(try spec.parse(["--metrics=127.0.0.1:0"]).metricsAddress() == HTTPAddress(host: "127.0.0.1", port: 0))
        #expect(throws: CommandLineError.invalidValue(option: "metrics", value: "9100", expected: "ADDRESS:PORT, e.g. 127.0.0.1:9100")) {
            try spec.parse(["--metrics", "9100"]).metricsAddress()
        }
    }
}
