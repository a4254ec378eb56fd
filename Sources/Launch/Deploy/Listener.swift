import Shared

/// Where a stage listens or what it reaches, read from one endpoint option as deploy needs it.
public enum Endpoint: Sendable, Equatable {
    /// Any address (`*`, `0.0.0.0`, `::`): reachable from other hosts once its port is published.
    case anyAddress(port: Int)
    /// A loopback address: only the service's own container reaches it, so nothing is published.
    case loopback
    /// A named host (a tcp:// connect): the name of the service it reaches.
    case host(String, port: Int)
    /// An ipc:// path: only services on the same host reach it.
    case ipc(path: String)

    /// A ZeroMQ endpoint: `tcp://HOST:PORT` or `ipc://PATH`.
    static func zeroMQ(_ text: String) -> Endpoint? {
        if text.hasPrefix("ipc://") { return .ipc(path: String(text.dropFirst(6))) }
        guard text.hasPrefix("tcp://") else { return nil }
        return address(String(text.dropFirst(6)))
    }

    /// `ADDR:PORT`, as `--metrics` takes it (`*`, `[::]` and IPv6 in brackets included).
    static func address(_ text: String) -> Endpoint? {
        guard let address = HTTPAddress(text) else {
            // A wildcard port on loopback is fine (nothing is published); elsewhere it cannot be.
            return text.hasSuffix(":*") && isLoopback(String(text.dropLast(2))) ? .loopback : nil
        }
        if isLoopback(address.host) { return .loopback }
        if ["0.0.0.0", "::", "*"].contains(address.host) { return address.port > 0 ? .anyAddress(port: address.port) : nil }
        return address.port > 0 ? .host(address.host, port: address.port) : nil
    }

    private static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }
}

/// A port a service listens on for other hosts: named after its option (`frontend`, `metrics`, ...).
public struct Listener: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A ZeroMQ socket (CURVE or plaintext).
        case zeroMQ
        /// Plain HTTP: `/metrics` or the live viewer (docs/security.md: a management network only).
        case http
    }

    public var name: String
    public var port: Int
    public var kind: Kind

    public init(name: String, port: Int, kind: Kind) {
        self.name = name
        self.port = port
        self.kind = kind
    }
}

/// A tcp:// connection from one service to another's listener, checked when the plan is made.
public struct Link: Sendable, Equatable {
    public var option: String
    public var service: String
    public var port: Int

    public init(option: String, service: String, port: Int) {
        self.option = option
        self.service = service
        self.port = port
    }
}
