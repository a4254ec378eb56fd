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
    /// The job id of its latest hand-over to a worker (0 before the first).
    public var jobID: UInt64 = 0

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
    /// The latents it holds, in the order they were handed to it (at most `capacity`).
    public var jobs: [PendingLatent] = []
    /// How many latents it takes at once: its Ready's capacity (`--max-batch`), 1 until it says.
    public var capacity = 1
    /// Whether it said Ready (before that it gets nothing).
    public var ready = false

    public var freeSlots: Int { ready ? max(0, capacity - jobs.count) : 0 }
}

/// The broker's dispatch, apart from the sockets: a queue of accepted latents per node, the workers and
/// the latents each holds. Ready workers take the next latent round-robin across nodes, so under
/// overload every node gets its share of the workers; a worker takes up to its capacity (the frames
/// it can batch), each latent going to the ready worker holding the fewest, so an idle worker is never
/// passed over for a busy one. Each latent handed out gets a job id, which the worker's Answer repeats.
/// A worker that dies hands each latent it held back to the front of its node's queue once, and a
/// second death fails it.
public struct Dispatcher {
    public enum Loss {
        /// The dead worker's latent waits at the front of its node's queue for another worker.
        case retried(PendingLatent)
        /// It was that latent's second worker: answer it with an error.
        case failed(PendingLatent)
    }

    public private(set) var workers: [String: WorkerEntry] = [:]
    /// Workers with a free slot, in the order they became free.
    public private(set) var readyWorkers: [String] = []
    private var queues: [String: [PendingLatent]] = [:]
    private var order: [String] = []
    private var nextNode = 0
    private var lastJobID: UInt64 = 0
    /// A latent is handed to at most this many workers.
    public let attemptsPerLatent = 2
    /// The most latents one worker is given at once, whatever its Ready says.
    public static let maximumCapacity = 64

    public init() {}

    /// Latents the workers can hold at once.
    public var workerCapacities: [Int] { workers.values.map(\.capacity) }

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

    /// The next latent, nodes taken in turn, for the ready worker holding the fewest (the first of
    /// those); the worker holds it from now on, under a new job id.
    public mutating func assign(now: Double) -> (worker: String, job: PendingLatent)? {
        guard let slot = leastLoadedReadyWorker(), let nodeID = nextNodeWithWork(), var job = queues[nodeID]?.first else { return nil }
        queues[nodeID]?.removeFirst()
        let worker = readyWorkers[slot]
        lastJobID += 1
        job.jobID = lastJobID
        job.attempts += 1
        job.dispatchedAt = now
        workers[worker]?.jobs.append(job)
        if workers[worker]?.freeSlots == 0 { readyWorkers.remove(at: slot) }
        return (worker, job)
    }

    private func leastLoadedReadyWorker() -> Int? {
        readyWorkers.indices.min { (workers[readyWorkers[$0]]?.jobs.count ?? 0) < (workers[readyWorkers[$1]]?.jobs.count ?? 0) }
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
        let held = workers.values.flatMap(\.jobs)
        let queuedJobs = order.flatMap { queues[$0] ?? [] }
        queues.removeAll()
        for id in workers.keys { workers[id]?.jobs.removeAll() }
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

    /// The worker (re)started its loop and can take `capacity` latents (1 when it says 0; at most
    /// `maximumCapacity`). Those it still held are lost with its old loop: they go back to the front of
    /// their nodes' queues, in order, and are returned.
    @discardableResult
    public mutating func ready(_ id: String, capacity: Int = 1) -> [PendingLatent] {
        guard let worker = workers[id] else { return [] }
        for job in worker.jobs.reversed() { requeue(job) }
        workers[id]?.jobs.removeAll()
        workers[id]?.capacity = min(Self.maximumCapacity, max(1, capacity))
        workers[id]?.ready = true
        markFree(id)
        return worker.jobs
    }

    /// The worker answered job `jobID`: that latent (`nil` when it holds no such job, e.g. declared dead
    /// earlier), and its slot is free again. Job id 0 (a worker predating job ids, or a Job whose bytes
    /// did not parse) stands for the oldest latent it holds.
    public mutating func finished(_ id: String, jobID: UInt64 = 0) -> PendingLatent? {
        guard let jobs = workers[id]?.jobs else { return nil }
        let index = jobID == 0 ? jobs.indices.first : jobs.firstIndex { $0.jobID == jobID }
        defer { markFree(id) }
        guard let index else { return nil }
        return workers[id]?.jobs.remove(at: index)
    }

    private mutating func markFree(_ id: String) {
        if workers[id]?.freeSlots ?? 0 > 0, !readyWorkers.contains(id) { readyWorkers.append(id) }
    }

    /// The worker is gone (silent, exited, unreachable, said Bye): what becomes of each latent it held.
    public mutating func remove(_ id: String) -> [Loss] {
        guard let worker = workers.removeValue(forKey: id) else { return [] }
        readyWorkers.removeAll { $0 == id }
        var losses: [Loss] = []
        for job in worker.jobs.reversed() {
            if job.attempts >= attemptsPerLatent {
                losses.insert(.failed(job), at: 0)
            } else {
                requeue(job)
                losses.insert(.retried(job), at: 0)
            }
        }
        return losses
    }

    /// Job `jobID` could not be handed to `worker` (its connection is gone): it goes back untried.
    public mutating func unassign(_ worker: String, jobID: UInt64) {
        guard let index = workers[worker]?.jobs.firstIndex(where: { $0.jobID == jobID }), var job = workers[worker]?.jobs.remove(at: index)
        else { return }
        job.attempts -= 1
        requeue(job)
        markFree(worker)
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
