import Shared

/// What the broker counted; `line` is the one-line summary printed at exit.
public struct BrokerSummary: Sendable, Equatable {
    public struct NodeCounts: Sendable, Equatable {
        public var results = 0
        public var errors = 0
    }

    /// Results forwarded to the sink, error Results included.
    public var results = 0
    public var errors = 0
    /// Latents handed to a second worker after the first died.
    public var retries = 0
    public var deadWorkers = 0
    /// Messages refused at the frontend (nodes) and at the backend (workers), as InputRejections counted them.
    public var malformed = 0
    public var workerMalformed = 0
    public var oversized = 0
    public var modelMismatch = 0
    public var unknownNode = 0
    public var overWindow = 0
    /// A known node opened a new connection (its DEALER's probe): asked for a new session.
    public var nodeReconnects = 0
    /// A known node said Hello with a new incarnation: a restarted process or a new session.
    public var nodeRestarts = 0
    /// Processes refused because another live process held the node id they claimed.
    public var duplicateNodeIDs = 0
    /// Local worker processes started again after they died (`ladon-edge serve --workers N`).
    public var respawnedWorkers = 0
    /// The connection to the sink ended (a sink restart), and Results dropped because the sink was away too long.
    public var sinkDisconnects = 0
    public var sinkDropped = 0
    /// CURVE mode: connections the ZAP handler refused (unlisted keys, another mechanism), handshakes that
    /// failed before authentication (plaintext peers), Hellos or messages whose key speaks for another node
    /// id, sessions cut because their key left the allow-list.
    public var authRefused = 0
    public var handshakeFailures = 0
    public var impersonations = 0
    public var revokedSessions = 0
    /// Hellos with a node id the command line would refuse too, and Hellos refused because the broker
    /// holds `maximumNodes` sessions none of which is silent.
    public var invalidNodeIDs = 0
    public var sessionRefusals = 0
    public var perNode: [String: NodeCounts] = [:]

    mutating func count(nodeID: String, failed: Bool) {
        results += 1
        perNode[nodeID, default: NodeCounts()].results += 1
        if failed {
            errors += 1
            perNode[nodeID, default: NodeCounts()].errors += 1
        }
    }

    public var line: String {
        let nodes = perNode.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value.results)/\($0.value.errors)" }
        return "ladon-edge serve: results=\(results) errors=\(errors) retries=\(retries) dead_workers=\(deadWorkers) "
            + "malformed=\(malformed) worker_malformed=\(workerMalformed) oversized=\(oversized) model_mismatch=\(modelMismatch) unknown_node=\(unknownNode) "
            + "over_window=\(overWindow) node_reconnects=\(nodeReconnects) node_restarts=\(nodeRestarts) "
            + "duplicate_node_ids=\(duplicateNodeIDs) "
            + "respawned_workers=\(respawnedWorkers) sink_disconnects=\(sinkDisconnects) sink_dropped=\(sinkDropped) "
            + "auth_refused=\(authRefused) handshake_failures=\(handshakeFailures) impersonations=\(impersonations) "
            + "revoked_sessions=\(revokedSessions) invalid_node_ids=\(invalidNodeIDs) session_refusals=\(sessionRefusals) nodes=\(nodes.isEmpty ? "-" : nodes.joined(separator: ","))"
    }
}
