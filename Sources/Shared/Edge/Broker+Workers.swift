/// The broker's backend: workers' Hello, Ready, Heartbeat and results; liveness; dispatch.
extension Broker {
    // MARK: Backend: workers

    func backendMessage(_ message: [[UInt8]], _ now: Double) throws(TransportError) {
        let sender = String(decoding: message[0], as: UTF8.self)
        guard message.count == 3, let kind = MessageKind(tag: message[1]) else {
            log.warning("malformed message from a worker", ["worker": sender, "frames": message.count])
            return
        }
        workers[sender]?.lastSeen = now
        switch kind {
        case .control:
            guard let control = try? ControlMessage(serialized: message[2]) else {
                log.warning("malformed control message from a worker", ["worker": sender])
                return
            }
            try workerControl(control, from: sender, now)
        case .result:
            try resultArrived(message[2], from: sender, now)
        case .frame, .latent:
            log.warning("unexpected message kind on the backend", ["worker": sender, "kind": kind.rawValue])
        }
    }

    func workerControl(_ control: ControlMessage, from sender: String, _ now: Double) throws(TransportError) {
        switch control {
        case let .hello(hello):
            if let model = hello.model, model != identity {
                log.error("worker runs another model; not using it", ["worker": sender, "model": model])
                return
            }
            if workers[sender] == nil {
                workers[sender] = WorkerEntry(id: sender, name: hello.peerID, lastSeen: now)
                log.info("worker joined", ["worker": sender, "workers": workers.count])
                try topUpAll(now)
            }
        case .ready:
            if workers[sender] == nil {
                // A worker that said hello to a previous broker process: take it on.
                workers[sender] = WorkerEntry(id: sender, name: PeerRoute.peerID(of: sender), lastSeen: now)
                log.info("worker joined", ["worker": sender, "workers": workers.count])
                try topUpAll(now)
            }
            if let lost = workers[sender]?.job {
                log.warning("worker reported ready while holding a latent; handing it on", ["worker": sender])
                workers[sender]?.job = nil
                requeue(lost, now)
            }
            markReady(sender)
        case .bye:
            if let worker = workers[sender] { try removeWorker(worker, reason: "said bye", now) }
        case .heartbeat:
            break
        case .credit:
            log.warning("unexpected control message from a worker", ["worker": sender])
        }
    }

    func markReady(_ id: String) {
        guard workers[id] != nil, workers[id]?.ready == false else { return }
        workers[id]?.ready = true
        readyWorkers.append(id)
    }

    func resultArrived(_ bytes: [UInt8], from sender: String, _ now: Double) throws(TransportError) {
        guard let pending = workers[sender]?.job else {
            log.warning("result from a worker holding no latent (declared dead earlier?); dropped", ["worker": sender])
            markReady(sender)
            return
        }
        workers[sender]?.job = nil
        markReady(sender)
        var result: ResultMessage
        do throws(WireError) {
            result = try ResultMessage(serialized: bytes)
        } catch {
            result = ResultMessage(failed: pending.latent, error: "worker \(sender) sent a malformed result: \(error)")
        }
        result.timings = stagesBefore(pending, pending.dispatchedAt) + result.timings
        try answer(pending, result, now)
    }

    /// The node's share (capture to arrival: encode, waiting for credit, link) and the broker queue.
    func stagesBefore(_ pending: PendingLatent, _ dispatchedAt: Double) -> [StageTiming] {
        let node = Double(pending.arrivedWallMicroseconds - pending.latent.captureTimeMicroseconds) / 1000
        return [
            StageTiming(stage: "node_to_edge", milliseconds: max(0, node)),
            StageTiming(stage: "edge_queue", milliseconds: max(0, (dispatchedAt - pending.arrivedAt) * 1000)),
        ]
    }

    func removeWorker(_ worker: WorkerEntry, reason: String, _ now: Double) throws(TransportError) {
        workers[worker.id] = nil
        readyWorkers.removeAll { $0 == worker.id }
        log.warning("worker gone", ["worker": worker.id, "reason": reason, "workers": workers.count])
        if let job = worker.job { try retryOrFail(job, worker: worker.id, now) }
    }

    func retryOrFail(_ job: PendingLatent, worker: String, _ now: Double) throws(TransportError) {
        if job.attempts >= 2 {
            try answer(
                job,
                ResultMessage(
                    failed: job.latent, error: "two workers died holding this latent (last: \(worker))",
                    stagesBefore: stagesBefore(job, job.dispatchedAt)), now)
        } else {
            summary.retries += 1
            log.info("retrying a latent on another worker", ["node": job.nodeID, "sequence": job.latent.sequence])
            requeue(job, now)
        }
    }

    func requeue(_ job: PendingLatent, _ now: Double) {
        nodes[job.nodeID]?.queue.insert(job, at: 0)
    }

    func retireExitedWorkers(_ now: Double) throws(TransportError) {
        guard !exitedWorkers.isEmpty else { return }
        let names = Set(exitedWorkers)
        exitedWorkers.removeAll()
        for worker in workers.values where names.contains(worker.name) {
            summary.deadWorkers += 1
            try removeWorker(worker, reason: "process exited", now)
        }
    }

    func checkWorkers(_ now: Double) throws(TransportError) {
        for worker in workers.values where now - worker.lastSeen > configuration.heartbeatTimeoutSeconds {
            summary.deadWorkers += 1
            try removeWorker(worker, reason: "silent for \(configuration.heartbeatTimeoutSeconds) s", now)
        }
        if now - lastHeartbeat >= configuration.heartbeatIntervalSeconds {
            lastHeartbeat = now
            let beat = ControlMessage.heartbeat(.init(peerID: "broker", sequence: 0, timeMicroseconds: PipelineClock.wallMicroseconds()))
            for id in readyWorkers {
                _ = try? backend.send([Array(id.utf8), MessageKind.control.tag, beat.serialized()])
            }
        }
        if workers.isEmpty {
            for id in nodeOrder {
                while let head = nodes[id]?.queue.first, now - head.arrivedAt > configuration.noWorkerTimeoutSeconds {
                    nodes[id]?.queue.removeFirst()
                    try answer(
                        head,
                        ResultMessage(
                            failed: head.latent, error: "no edge worker available",
                            stagesBefore: stagesBefore(head, now)), now)
                }
            }
        }
    }

    /// Hands queued latents to ready workers, taking nodes in turn so none starves.
    func dispatch(_ now: Double) throws(TransportError) {
        while !readyWorkers.isEmpty, !nodeOrder.isEmpty {
            guard let nodeID = nextNodeWithWork() else { return }
            guard var job = nodes[nodeID]?.queue.first else { return }
            nodes[nodeID]?.queue.removeFirst()
            let workerID = readyWorkers.removeFirst()
            workers[workerID]?.ready = false
            job.attempts += 1
            job.dispatchedAt = now
            do throws(TransportError) {
                try backend.send([Array(workerID.utf8), MessageKind.latent.tag, job.bytes])
                workers[workerID]?.job = job
            } catch  where error.isUnroutable {
                job.attempts -= 1
                requeue(job, now)
                if let worker = workers[workerID] {
                    summary.deadWorkers += 1
                    try removeWorker(worker, reason: "unreachable", now)
                }
            }
        }
    }

    func nextNodeWithWork() -> String? {
        for step in 0..<nodeOrder.count {
            let index = (nextNode + step) % nodeOrder.count
            if nodes[nodeOrder[index]]?.queue.isEmpty == false {
                nextNode = (index + 1) % nodeOrder.count
                return nodeOrder[index]
            }
        }
        return nil
    }
}
