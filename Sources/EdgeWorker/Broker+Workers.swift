import Shared

/// The broker's backend: workers' Hello, Ready, Heartbeat and Answers in, Jobs and heartbeats out;
/// liveness and dispatch. What becomes of a latent is the `Dispatcher`'s to decide; this moves messages.
extension Broker {
    /// `user`: the name the sender's key speaks for (CURVE mode), `nil` in plaintext.
    func backendMessage(_ message: [[UInt8]], user: String?, _ now: Double) throws(TransportError) {
        let sender = String(decoding: message.first ?? [], as: UTF8.self)
        guard let (_, envelope) = rejections.routed(message, socket: "backend") else { return }
        if let user, let list = configuration.allowedWorkers, !list.lists(name: user) {
            rejections.record(reason: "revoked_key", socket: "backend", peer: sender, detail: "a message under the revoked key of '\(user)'")
            try removeWorker(sender, reason: "key revoked", now)
            return
        }
        dispatcher.heard(from: sender, now: now)
        if envelope.kind == .answer {
            guard let answer = rejections.decode(AnswerMessage.self, envelope, socket: "backend", peer: sender) else { return }
            try answerArrived(answer, from: sender, now)
        } else if let control = rejections.decode(ControlMessage.self, envelope, socket: "backend", peer: sender) {
            try workerControl(control, from: sender, user: user, now)
        }
    }

    func workerControl(_ control: ControlMessage, from sender: String, user: String?, _ now: Double) throws(TransportError) {
        switch control {
        case let .hello(hello):
            if let model = hello.model, model != identity {
                log.error("worker runs another model; not using it", ["worker": sender, "model": model])
                return
            }
            try join(sender, name: hello.peerID, user: user, now)
        case let .ready(ready):
            // A worker that said hello to a previous broker process is taken on by its Ready.
            try join(sender, name: PeerRoute.peerID(of: sender), user: user, now)
            let lost = dispatcher.ready(sender, capacity: Int(ready.capacity))
            if !lost.isEmpty {
                log.warning("worker reported ready while holding latents; handing them on", ["worker": sender, "latents": lost.count])
            }
            // Its capacity is part of what the nodes are credited.
            try topUpAll(now)
        case .bye:
            try removeWorker(sender, reason: "said bye", now)
        case .heartbeat:
            break
        case .credit:
            rejections.record(reason: "unexpected_control", socket: "backend", peer: sender, detail: "credit from a worker")
        }
    }

    func join(_ worker: String, name: String, user: String?, _ now: Double) throws(TransportError) {
        guard dispatcher.join(worker, name: name, user: user, now: now) else { return }
        log.info("worker joined", ["worker": worker, "workers": dispatcher.workers.count])
        try topUpAll(now)
    }

    /// A worker's Answer: the Result bytes go to the sink untouched.
    func answerArrived(_ answer: AnswerMessage, from sender: String, _ now: Double) throws(TransportError) {
        guard let job = dispatcher.finished(sender, jobID: answer.jobID) else {
            log.warning("answer from a worker holding no latent (declared dead earlier?); dropped", ["worker": sender])
            return
        }
        configuration.metrics?.answered(answer, busySeconds: now - job.dispatchedAt)
        try self.answer(job, resultBytes: answer.result, failed: answer.failed, now)
    }

    func removeWorker(_ id: String, reason: String, _ now: Double) throws(TransportError) {
        guard dispatcher.workers[id] != nil else { return }
        let losses = dispatcher.remove(id)
        log.warning("worker gone", ["worker": id, "reason": reason, "workers": dispatcher.workers.count])
        for loss in losses {
            switch loss {
            case let .retried(job):
                summary.retries += 1
                log.info("retrying a latent on another worker", ["node": job.nodeID, "sequence": job.latent.header.sequence])
            case let .failed(job):
                try fail(job, "two workers died holding this latent (last: \(id))", stagesBefore: job.stagesBefore(job.dispatchedAt), now)
            }
        }
    }

    func retireExitedWorkers(_ now: Double) throws(TransportError) {
        guard !exitedWorkers.isEmpty else { return }
        let names = Set(exitedWorkers)
        exitedWorkers.removeAll()
        for worker in dispatcher.workers(named: names) {
            summary.deadWorkers += 1
            try removeWorker(worker.id, reason: "process exited", now)
        }
    }

    func checkWorkers(_ now: Double) throws(TransportError) {
        for worker in dispatcher.silentWorkers(now: now, timeout: configuration.heartbeatTimeoutSeconds) {
            summary.deadWorkers += 1
            try removeWorker(worker.id, reason: "silent for \(configuration.heartbeatTimeoutSeconds) s", now)
            workerFellSilent(PeerRoute.peerID(of: worker.id))
        }
        if now - lastHeartbeat >= configuration.heartbeatIntervalSeconds {
            lastHeartbeat = now
            let beat = Envelope(ControlMessage.heartbeat(.init(peerID: "broker", sequence: 0, timeMicroseconds: PipelineClock.wallMicroseconds())))
            for id in dispatcher.readyWorkers { _ = try? backend.send(beat.frames(to: Array(id.utf8))) }
        }
        for job in dispatcher.expireWithoutWorkers(now: now, timeout: configuration.noWorkerTimeoutSeconds) {
            try fail(job, "no edge worker available", stagesBefore: job.stagesBefore(now), now)
        }
    }

    /// Hands queued latents to workers with a free slot, nodes in turn, each as a Job carrying its time so far.
    func dispatch(_ now: Double) throws(TransportError) {
        while let (worker, job) = dispatcher.assign(now: now) {
            let envelope = Envelope(
                JobMessage(
                    latent: job.bytes, stagesBefore: job.stagesBefore(now), keepsLatent: configuration.keepsLatents, jobID: job.jobID))
            do throws(TransportError) {
                try backend.send(envelope.frames(to: Array(worker.utf8)))
            } catch  where error.isUnroutable {
                dispatcher.unassign(worker, jobID: job.jobID)
                summary.deadWorkers += 1
                try removeWorker(worker, reason: "unreachable", now)
            }
        }
    }
}
