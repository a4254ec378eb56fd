import Shared

/// A latent the broker has accepted and owes a Result for.
public struct PendingLatent {
    public let ticket: CreditTicket
    public let latent: LatentMessage
    /// The bytes as received, handed to a worker without re-encoding.
    public let bytes: [UInt8]
    /// When the broker received it (monotonic seconds, and wall-clock microseconds for the node's share).
    public let arrivedAt: Double
    public let arrivedWallMicroseconds: Int64
    /// Workers it was handed to so far; a second worker death answers it with an error.
    public var attempts = 0
    public var dispatchedAt = 0.0

    public var nodeID: String { ticket.nodeID }

    public init(ticket: CreditTicket, latent: LatentMessage, bytes: [UInt8], arrivedAt: Double, arrivedWallMicroseconds: Int64) {
        self.ticket = ticket
        self.latent = latent
        self.bytes = bytes
        self.arrivedAt = arrivedAt
        self.arrivedWallMicroseconds = arrivedWallMicroseconds
    }

    /// The frame's time before the worker: capture to arrival (encode, waiting for credit, the link) and
    /// the broker queue up to `dispatchedAt`.
    public func stagesBefore(_ dispatchedAt: Double) -> [StageTiming] {
        let node = Double(arrivedWallMicroseconds - latent.header.captureTimeMicroseconds) / 1000
        return [
            StageTiming(stage: "node_to_edge", milliseconds: max(0, node)),
            StageTiming(stage: "edge_queue", milliseconds: max(0, (dispatchedAt - arrivedAt) * 1000)),
        ]
    }
}

/// One worker process connected to the backend.
public struct WorkerEntry {
    /// The worker's route (PeerRoute), which keys it.
    public let id: String
    /// The id it names itself by.
    public var name: String
    /// The name its key speaks for (CURVE mode), `nil` in plaintext.
    public var user: String?
    public var lastSeen: Double
    public var job: PendingLatent?
    public var ready = false
}

/// The broker's dispatch, apart from the sockets: a queue of accepted latents per node, the workers and
/// the one latent each holds. Ready workers take the next latent round-robin across nodes, so under
/// overload every node gets its share of the workers; a worker that dies hands its latent back to the
/// front of its node's queue once, and a second death fails it.
public struct Dispatcher {
    public enum Loss {
        /// The dead worker's latent waits at the front of its node's queue for another worker.
        case retried(PendingLatent)
        /// It was that latent's second worker: answer it with an error.
        case failed(PendingLatent)
    }

    public private(set) var workers: [String: WorkerEntry] = [:]
    public private(set) var readyWorkers: [String] = []
    private var queues: [String: [PendingLatent]] = [:]
    private var order: [String] = []
    private var nextNode = 0
    /// A latent is handed to at most this many workers.
    public let attemptsPerLatent = 2

    public init() {}

    // MARK: Latents

    public mutating func enqueue(_ job: PendingLatent) {
        if queues[job.nodeID] == nil { order.append(job.nodeID) }
        queues[job.nodeID, default: []].append(job)
    }

    /// Puts `job` back at the front of its node's queue.
    public mutating func requeue(_ job: PendingLatent) {
        if queues[job.nodeID] == nil { order.append(job.nodeID) }
        queues[job.nodeID, default: []].insert(job, at: 0)
    }

    public func queued(_ nodeID: String) -> Int { queues[nodeID]?.count ?? 0 }

    /// The next latent for the next ready worker, nodes taken in turn; the worker holds it from now on.
    public mutating func assign(now: Double) -> (worker: String, job: PendingLatent)? {
        guard !readyWorkers.isEmpty, let nodeID = nextNodeWithWork(), var job = queues[nodeID]?.first else { return nil }
        queues[nodeID]?.removeFirst()
        let worker = readyWorkers.removeFirst()
        job.attempts += 1
        job.dispatchedAt = now
        workers[worker]?.ready = false
        workers[worker]?.job = job
        return (worker, job)
    }

    private mutating func nextNodeWithWork() -> String? {
        for step in 0..<order.count {
            let index = (nextNode + step) % order.count
            if queues[order[index]]?.isEmpty == false {
                nextNode = (index + 1) % order.count
                return order[index]
            }
        }
        return nil
    }

    /// Latents that waited longer than `timeout` while no worker was connected, taken out of the queues.
    public mutating func expireWithoutWorkers(now: Double, timeout: Double) -> [PendingLatent] {
        guard workers.isEmpty else { return [] }
        var expired: [PendingLatent] = []
        for id in order {
            while let head = queues[id]?.first, now - head.arrivedAt > timeout {
                queues[id]?.removeFirst()
                expired.append(head)
            }
        }
        return expired
    }

    /// Every latent still owed: those workers hold, then the queues (the broker is shutting down).
    public mutating func takeAll() -> [PendingLatent] {
        let held = workers.values.compactMap(\.job)
        let queuedJobs = order.flatMap { queues[$0] ?? [] }
        queues.removeAll()
        for id in workers.keys { workers[id]?.job = nil }
        return held + queuedJobs
    }

    // MARK: Workers

    /// A worker announced itself; `false` when it was known already.
    @discardableResult
    public mutating func join(_ id: String, name: String, user: String? = nil, now: Double) -> Bool {
        guard workers[id] == nil else { return false }
        workers[id] = WorkerEntry(id: id, name: name, user: user, lastSeen: now)
        return true
    }

    public mutating func heard(from id: String, now: Double) { workers[id]?.lastSeen = now }

    /// The worker can take a latent. One it still held (it restarted its loop) goes back to the front of
    /// its node's queue and is returned.
    @discardableResult
    public mutating func ready(_ id: String) -> PendingLatent? {
        guard workers[id] != nil else { return nil }
        let lost = workers[id]?.job
        if let lost {
            workers[id]?.job = nil
            requeue(lost)
        }
        if workers[id]?.ready == false {
            workers[id]?.ready = true
            readyWorkers.append(id)
        }
        return lost
    }

    /// The worker answered: the latent it held (`nil` when it held none, e.g. declared dead earlier), and
    /// the worker is ready again.
    public mutating func finished(_ id: String) -> PendingLatent? {
        guard let job = workers[id]?.job else {
            ready(id)
            return nil
        }
        workers[id]?.job = nil
        ready(id)
        return job
    }

    /// The worker is gone (silent, exited, unreachable, said Bye): what becomes of the latent it held.
    public mutating func remove(_ id: String) -> Loss? {
        guard let worker = workers.removeValue(forKey: id) else { return nil }
        readyWorkers.removeAll { $0 == id }
        guard let job = worker.job else { return nil }
        if job.attempts >= attemptsPerLatent { return .failed(job) }
        requeue(job)
        return .retried(job)
    }

    /// The latent could not be handed to `worker` (its connection is gone): it goes back untried.
    public mutating func unassign(_ worker: String) {
        guard var job = workers[worker]?.job else { return }
        workers[worker]?.job = nil
        job.attempts -= 1
        requeue(job)
    }

    /// Workers silent for longer than `timeout`.
    public func silentWorkers(now: Double, timeout: Double) -> [WorkerEntry] {
        workers.values.filter { now - $0.lastSeen > timeout }
    }

    /// Workers whose key speaks for `user`.
    public func workers(withUser user: String) -> [WorkerEntry] {
        workers.values.filter { $0.user == user }
    }

    /// Workers whose name is one of `names` (local worker processes that exited).
    public func workers(named names: Set<String>) -> [WorkerEntry] {
        workers.values.filter { names.contains($0.name) }
    }
}
