/// Where an HTTP endpoint of a stage serves (`--metrics`, `--http`): an IPv4 or IPv6 address
/// (`127.0.0.1`, `[::1]`, `0.0.0.0`, `*` for every IPv4 address, or a host name the resolver knows) and
/// a port, 0 for one the kernel picks.
public struct HTTPAddress: Sendable, Equatable, CustomStringConvertible {
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

/// Why an HTTP endpoint could not start.
public struct HTTPServerError: Error, CustomStringConvertible {
    /// What the endpoint serves ("metrics", "the viewer").
    public let serving: String
    public let address: String
    public let operation: String
    public let reason: String

    public var description: String { "cannot serve \(serving) on \(address): \(operation): \(reason)" }
}
