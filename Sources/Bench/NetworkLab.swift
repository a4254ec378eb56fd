import Foundation
import Shared

/// Hosts in network namespaces of their own, joined by veth pairs, a link optionally shaped by the kernel's
/// token-bucket filter (`tc qdisc ... tbf`) on the first host's side: a real network for the pipeline's
/// tests and benchmarks on one machine, with no traffic outside it. Namespaces are named after a token
/// of this lab, so labs never meet; `remove()` (or deinit) deletes them and with them their interfaces.
/// Needs `ip` and `tc` (iproute2) and the right to make namespaces (root or CAP_NET_ADMIN).
public final class NetworkLab {
    public struct Link: Sendable {
        public var from: String
        public var to: String
        /// Shapes what `from` sends to `to`; `nil`: unshaped.
        public var kilobitsPerSecond: Double?

        public init(from: String, to: String, kilobitsPerSecond: Double? = nil) {
            self.from = from
            self.to = to
            self.kilobitsPerSecond = kilobitsPerSecond
        }
    }

    public enum LabError: Error, CustomStringConvertible {
        case command(arguments: [String], status: Int32, output: String)
        case unknownHost(String)

        public var description: String {
            switch self {
            case let .command(arguments, status, output):
                "network lab: '\(arguments.joined(separator: " "))' failed with status \(status): \(output)"
            case let .unknownHost(name): "network lab: no host named \(name)"
            }
        }
    }

    public static let ip = "/usr/sbin/ip"
    public static let tc = "/usr/sbin/tc"

    public let token: String
    public let links: [Link]
    private var removed = false

    /// Makes one namespace per host named in `links` and one veth pair per link, 10.<second>.<link>.1 on
    /// `from`'s side and .2 on `to`'s.
    public init(links: [Link]) throws {
        token = String(UUID().uuidString.lowercased().filter(\.isHexDigit).prefix(6))
        self.links = links
        do {
            for host in hosts { try Self.run([Self.ip, "netns", "add", namespace(host)]) }
            for host in hosts { try run(in: host, [Self.ip, "link", "set", "lo", "up"]) }
            for (index, link) in links.enumerated() { try connect(link, index: index) }
        } catch {
            remove()
            throw error
        }
    }

    deinit { remove() }

    /// Can this process make namespaces here? (Tests skip with the reason when not.)
    public static var isAvailable: Bool {
        guard FileManager.default.isExecutableFile(atPath: ip), FileManager.default.isExecutableFile(atPath: tc) else { return false }
        let probe = "ladon-probe-\(getpid())"
        guard (try? run([ip, "netns", "add", probe])) != nil else { return false }
        _ = try? run([ip, "netns", "del", probe])
        return true
    }

    public var hosts: [String] {
        var names: [String] = []
        for link in links { for host in [link.from, link.to] where !names.contains(host) { names.append(host) } }
        return names
    }

    public func namespace(_ host: String) -> String { "ladon-\(token)-\(host)" }

    /// The command prefix that runs a program inside `host`'s namespace.
    public func launcher(_ host: String) -> [String] { [Self.ip, "netns", "exec", namespace(host)] }

    /// `host`'s address on the link it shares with `peer`.
    public func address(of host: String, towards peer: String) throws -> String {
        for (index, link) in links.enumerated() {
            if link.from == host && link.to == peer { return "10.\(subnet).\(index).1" }
            if link.to == host && link.from == peer { return "10.\(subnet).\(index).2" }
        }
        throw LabError.unknownHost("\(host) (towards \(peer))")
    }

    /// Takes the link between `host` and `peer` down or up on `host`'s side (a cable pulled, a radio gone).
    public func setLink(of host: String, towards peer: String, up: Bool) throws {
        guard let index = links.firstIndex(where: { ($0.from == host && $0.to == peer) || ($0.to == host && $0.from == peer) }) else {
            throw LabError.unknownHost("\(host) (towards \(peer))")
        }
        let side = links[index].from == host ? "a" : "b"
        try run(in: host, [Self.ip, "link", "set", interface(index, side), up ? "up" : "down"])
    }

    /// Deletes the namespaces (their interfaces go with them). Processes still inside keep running
    /// without a network: stop them first.
    public func remove() {
        guard !removed else { return }
        removed = true
        for host in hosts { _ = try? Self.run([Self.ip, "netns", "del", namespace(host)]) }
    }

    // MARK: Making the links

    /// The second octet of this lab's addresses, from its token (so two labs at once rarely share one).
    private var subnet: Int { 100 + Int(token.prefix(2), radix: 16)! % 100 }

    private func interface(_ index: Int, _ side: String) -> String { "lv\(token)\(index)\(side)" }

    private func connect(_ link: Link, index: Int) throws {
        let (a, b) = (interface(index, "a"), interface(index, "b"))
        try Self.run([Self.ip, "link", "add", a, "netns", namespace(link.from), "type", "veth", "peer", "name", b, "netns", namespace(link.to)])
        try run(in: link.from, [Self.ip, "addr", "add", "10.\(subnet).\(index).1/24", "dev", a])
        try run(in: link.to, [Self.ip, "addr", "add", "10.\(subnet).\(index).2/24", "dev", b])
        try run(in: link.from, [Self.ip, "link", "set", a, "up"])
        try run(in: link.to, [Self.ip, "link", "set", b, "up"])
        if let kbps = link.kilobitsPerSecond {
            // A burst of one full frame and a queue of about half a second: TCP sees the rate, not a deep buffer.
            let queueBytes = max(3_000, Int(kbps * 1000 / 8 / 2))
            try run(
                in: link.from, [Self.tc, "qdisc", "add", "dev", a, "root", "tbf", "rate", "\(kbps)kbit", "burst", "1600", "limit", "\(queueBytes)"])
        }
    }

    private func run(in host: String, _ arguments: [String]) throws { try Self.run(launcher(host) + arguments) }

    @discardableResult
    private static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw LabError.command(
                arguments: arguments, status: process.terminationStatus, output: text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return text
    }
}
