/// The small messages that steer the pipeline (proto `Control`, one `oneof` body each).
public enum ControlMessage: Sendable, Equatable {
    public static let maximumSize = 64 << 10

    case hello(Hello)
    case bye(Bye)
    case credit(Credit)
    case ready(Ready)
    case heartbeat(Heartbeat)

    public enum Role: Sendable, Equatable {
        case node, worker, sink
    }

    /// A peer announces itself: a node with the model it encodes for and its in-flight window, a worker, a sink.
    public struct Hello: Sendable, Equatable {
        public var peerID: String
        public var role: Role
        public var model: ModelIdentity?
        public var window: UInt32
        /// Random per process start, so a restarted peer reusing its id is recognised.
        public var incarnation: UInt64

        public init(peerID: String, role: Role, model: ModelIdentity? = nil, window: UInt32 = 0, incarnation: UInt64) {
            self.peerID = peerID
            self.role = role
            self.model = model
            self.window = window
            self.incarnation = incarnation
        }
    }

    public struct Bye: Sendable, Equatable {
        public var peerID: String
        public var reason: String

        public init(peerID: String, reason: String = "") {
            self.peerID = peerID
            self.reason = reason
        }
    }

    /// The edge lets `nodeID` have `grants` more latents in flight.
    public struct Credit: Sendable, Equatable {
        public var nodeID: String
        public var grants: UInt32

        public init(nodeID: String, grants: UInt32) {
            self.nodeID = nodeID
            self.grants = grants
        }
    }

    /// A worker can take `capacity` more frames.
    public struct Ready: Sendable, Equatable {
        public var workerID: String
        public var capacity: UInt32

        public init(workerID: String, capacity: UInt32) {
            self.workerID = workerID
            self.capacity = capacity
        }
    }

    public struct Heartbeat: Sendable, Equatable {
        public var peerID: String
        public var sequence: UInt64
        /// Sender's clock, microseconds since the Unix epoch.
        public var timeMicroseconds: Int64

        public init(peerID: String, sequence: UInt64, timeMicroseconds: Int64) {
            self.peerID = peerID
            self.sequence = sequence
            self.timeMicroseconds = timeMicroseconds
        }
    }
}
