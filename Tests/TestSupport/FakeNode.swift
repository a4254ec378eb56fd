import Foundation
import Shared

/// A mobile node speaking docs/pipeline.md from inside the test: a DEALER whose route is the node id
/// and a token of its own (each FakeNode plays one process), Hello until the first Credit, one latent
/// per credit. It checks the broker's side of the
/// contract as it goes: it never holds more than its window (credits + latents in flight).
public final class FakeNode {
    public let id: String
    public let window: Int
    public let socket: Socket
    public let model: ModelIdentity
    public private(set) var credits = 0
    public private(set) var inFlight = 0
    /// Credits returned for answered latents, and the most the node ever held (credits + in flight).
    public private(set) var returned = 0
    public private(set) var mostHeld = 0
    public private(set) var sent = 0
    /// Reasons of the Byes the broker sent.
    public private(set) var byes: [String] = []

    /// `keys`: the node's certificate with its secret key and the edge's public key, to speak CURVE.
    public init(
        _ context: Context, id: String, window: Int, frontend: String, model: ModelIdentity,
        keys: (node: KeyFile, edge: CurveKey)? = nil
    ) throws {
        self.id = id
        self.window = window
        self.model = model
        socket = try context.socket(.dealer)
        try socket.set(.routingID(PeerRoute.routingID(for: id, token: .random(in: 1 ... .max))))
        if let keys, let secretKey = keys.node.secretKey {
            try socket.set(.curveClient(publicKey: keys.node.publicKey, secretKey: secretKey, serverKey: keys.edge))
        }
        try socket.connect(frontend)
    }

    public func hello(model: ModelIdentity? = nil) throws {
        let hello = ControlMessage.hello(
            .init(
                peerID: id, role: .node, model: model ?? self.model,
                window: UInt32(window), incarnation: 42))
        // Without waiting: a peer whose handshake fails has no connection, and a DEALER would wait forever.
        _ = try socket.trySend(Envelope(hello).frames())
    }

    public func heartbeat() throws {
        try socket.send(Envelope(ControlMessage.heartbeat(.init(peerID: id, sequence: 1, timeMicroseconds: 0))).frames())
    }

    public func bye() throws {
        try socket.send(Envelope(ControlMessage.bye(.init(peerID: id, reason: "test"))).frames())
    }

    /// Closes the connection as a crashed process's would close.
    public func close() { socket.close() }

    /// Says hello until the first credit arrives (or `timeout` seconds pass).
    public func join(timeout: Double = 30) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while credits == 0 && Date() < deadline {
            try hello()
            try pump(milliseconds: 1_000)
        }
        return credits > 0
    }

    /// Takes in every Credit that arrives within `milliseconds`.
    public func pump(milliseconds: Int) throws {
        var poller = Poller()
        poller.add(socket)
        guard try poller.poll(timeoutMilliseconds: milliseconds)[0].contains(.readable) else { return }
        while let message = try socket.tryReceive() {
            guard let control = try? Envelope(frames: message).decode(ControlMessage.self) else { continue }
            if case let .bye(bye) = control { byes.append(bye.reason) }
            guard case let .credit(credit) = control else { continue }
            let back = min(Int(credit.grants), inFlight)
            inFlight -= back
            returned += back
            credits += Int(credit.grants)
            mostHeld = max(mostHeld, credits + inFlight)
        }
    }

    /// Sends raw latent-tagged bytes, spending a credit.
    public func send(_ bytes: [UInt8]) throws {
        precondition(credits > 0, "the fake node sends only with credit")
        try socket.send(Envelope(kind: .latent, payload: bytes).frames())
        credits -= 1
        inFlight += 1
        sent += 1
    }

    public func send(_ latent: LatentMessage, sequence: UInt64) throws {
        var message = latent
        message.header.nodeID = id
        message.header.sequence = sequence
        message.header.captureTimeMicroseconds = PipelineClock.wallMicroseconds()
        try send(message.serialized())
    }

    /// Pumps until every latent sent has been answered (its credit came back) or `timeout` passes.
    public func drain(timeout: Double = 60) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while inFlight > 0 && Date() < deadline { try pump(milliseconds: 100) }
        return inFlight == 0
    }
}
