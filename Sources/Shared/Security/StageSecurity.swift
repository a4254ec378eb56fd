/// How one stage process secures its sockets (docs/security.md). With its own secret certificate a
/// stage speaks CURVE on every socket it binds or connects to a peer (server sockets name a ZAP
/// domain and let in the keys of that domain's allow-list; client sockets check the server's public
/// key). Without one it speaks plaintext, and only where that was asked for: `--insecure`, or every
/// endpoint local (ipc://, inproc://). A tcp:// endpoint in plaintext without `--insecure` is refused.
public struct StageSecurity: Sendable, CustomStringConvertible {
    public enum Mode: Sendable, Equatable {
        case curve
        case plaintext(reason: String)
    }

    public let mode: Mode
    /// The stage's own certificate, with its secret key, in CURVE mode.
    public let identity: KeyFile?

    public static let insecureHelp = "Allow plaintext on tcp:// endpoints (without it a stage needs its keys there)."

    /// `secretKey`: the stage's own secret certificate (`--secret-key`); `endpoints`: every endpoint it
    /// binds or connects to over which pipeline peers talk.
    public static func resolve(secretKey: String?, insecure: Bool, endpoints: [String]) throws(SecurityError) -> StageSecurity {
        if let secretKey {
            guard Curve.isAvailable else { throw .curveUnavailable }
            return StageSecurity(mode: .curve, identity: try KeyFile.readSecret(secretKey))
        }
        if insecure { return StageSecurity(mode: .plaintext(reason: "--insecure"), identity: nil) }
        if let exposed = endpoints.first(where: { !isLocal($0) }) { throw .plaintextRefused(endpoint: exposed) }
        return StageSecurity(mode: .plaintext(reason: "local endpoints only"), identity: nil)
    }

    /// Plaintext everywhere, for code that runs stages in one process (tests, benchmarks on ipc://).
    public static let local = StageSecurity(mode: .plaintext(reason: "local endpoints only"), identity: nil)

    public var isCurve: Bool { mode == .curve }

    /// Endpoints only this machine can reach.
    public static func isLocal(_ endpoint: String) -> Bool {
        endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://")
    }

    public var description: String {
        switch mode {
        case .curve: "curve(key \(identity?.name ?? "-"))"
        case let .plaintext(reason): "plaintext(\(reason))"
        }
    }

    /// A server socket: CURVE with this stage's secret key, its connections authenticated in `domain`.
    /// Call before `bind`; a ZAPHandler for the domain must already run in the socket's context.
    public func secureServer(_ socket: Socket, domain: String) throws(TransportError) {
        guard let secretKey = identity?.secretKey else { return }
        try socket.set(.zapDomain(domain))
        try socket.set(.curveServer(secretKey: secretKey))
    }

    /// A client socket: CURVE with this stage's key pair, accepting only a server holding `serverKey`.
    /// Call before `connect`.
    public func secureClient(_ socket: Socket, serverKey: CurveKey?) throws(TransportError) {
        guard let identity, let secretKey = identity.secretKey, let serverKey else { return }
        try socket.set(.curveClient(publicKey: identity.publicKey, secretKey: secretKey, serverKey: serverKey))
    }

    /// In CURVE mode, the server's public key from the certificate at `path` (`option` names the flag that
    /// gives it); `nil` in plaintext.
    public func serverKey(_ path: String?, option: String) throws(SecurityError) -> CurveKey? {
        guard isCurve else { return nil }
        guard let path else { throw .missingKey(option: option, needed: "the server's public certificate") }
        return try KeyFile.read(path).publicKey
    }

    /// In CURVE mode, the allow-list folder at `path` (`option` names its flag); `nil` in plaintext.
    public func allowList(_ path: String?, option: String, extra: [CurveKey: String] = [:]) throws(SecurityError) -> AllowList? {
        guard isCurve else { return nil }
        guard path != nil || !extra.isEmpty else { throw .missingKey(option: option, needed: "a folder of allowed client certificates") }
        return try AllowList(folder: path, extra: extra)
    }
}
