import Foundation
import Shared

/// Receives one message within the timeout, else `nil`.
public func receive(_ socket: Socket, timeout: Double) throws -> [[UInt8]]? {
    var poller = Poller()
    poller.add(socket)
    guard try poller.poll(timeoutMilliseconds: Int(timeout * 1000))[0].contains(.readable) else { return nil }
    return try socket.tryReceive()
}

/// The test's stand-in for the edge broker: a ROUTER speaking the node side of the credit contract.
/// Events name nodes by id; replies go to the route (PeerRoute) the node last used.
public final class FakeBroker {
    public let context: Context
    public let router: Socket
    public let endpoint: String
    private var routes: [String: [UInt8]] = [:]

    public init(endpoint requested: String) throws {
        context = try Context()
        router = try context.socket(.router)
        endpoint = try router.bind(requested)
    }

    public enum Event {
        case control(node: String, ControlMessage)
        case latent(node: String, LatentMessage, bytes: Int, at: Double)
    }

    /// The next message from a node, or `nil` on timeout. A node's connection probe (an empty message,
    /// first on every new connection) is skipped.
    public func next(timeout: Double) throws -> Event? {
        let deadline = PipelineClock.seconds() + timeout
        var received = try receive(router, timeout: timeout)
        while let frames = received, frames.count == 2, frames[1].isEmpty {
            received = try receive(router, timeout: max(0, deadline - PipelineClock.seconds()))
        }
        guard let frames = received else { return nil }
        let (route, envelope) = try Envelope.routed(frames)
        let node = PeerRoute.peerID(of: String(decoding: route, as: UTF8.self))
        routes[node] = route
        switch envelope.kind {
        case .control: return .control(node: node, try envelope.decode(ControlMessage.self))
        case .latent:
            return .latent(node: node, try envelope.decode(LatentMessage.self), bytes: envelope.wireBytes, at: PipelineClock.seconds())
        default: return nil
        }
    }

    /// The next `count` latents, skipping control messages, within `timeout` seconds in all (fewer when
    /// time runs out: an encoder that heartbeats but sends nothing cannot keep a test waiting).
    public func latents(_ count: Int, within timeout: Double) throws -> [LatentMessage] {
        let deadline = PipelineClock.seconds() + timeout
        var latents: [LatentMessage] = []
        while latents.count < count, PipelineClock.seconds() < deadline {
            if case let .latent(_, latent, _, _)? = try next(timeout: min(1, max(0, deadline - PipelineClock.seconds()))) {
                latents.append(latent)
            }
        }
        return latents
    }

    /// The first control message `match` picks within `timeout` seconds in all.
    public func control<T>(within timeout: Double, _ match: (ControlMessage) -> T?) throws -> T? {
        let deadline = PipelineClock.seconds() + timeout
        while PipelineClock.seconds() < deadline {
            if case let .control(_, message)? = try next(timeout: min(1, max(0, deadline - PipelineClock.seconds()))),
                let found = match(message)
            {
                return found
            }
        }
        return nil
    }

    public func grant(_ node: String, _ grants: UInt32) throws {
        try router.send(Envelope(ControlMessage.credit(.init(nodeID: node, grants: grants))).frames(to: routes[node] ?? Array(node.utf8)))
    }

    /// Tells the node this broker holds no session for it (docs/pipeline.md: it starts a new one).
    public func bye(_ node: String, reason: String = "test: send hello") throws {
        try router.send(Envelope(ControlMessage.bye(.init(peerID: "edge", reason: reason))).frames(to: routes[node] ?? Array(node.utf8)))
    }

    public func close() {
        router.close()
        context.close()
    }
}
