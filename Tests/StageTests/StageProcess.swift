import Foundation
import Shared
import TestSupport

/// A stage executable running in the background with its output captured; `stop` (call it in a
/// `defer`) terminates it if it is still running.
final class StageProcess {
    let process: Process
    private let output = Pipe(), error = Pipe()
    private var collected: (String, String)?

    init(_ name: String, _ arguments: [String]) throws {
        process = Executables.process(name, arguments)
        process.standardOutput = output
        process.standardError = error
        try process.run()
    }

    /// Waits for the exit (SIGKILL after `timeout` seconds so a broken stage fails the test instead of hanging).
    @discardableResult
    func wait(timeout: Double = 30) -> (status: Int32, output: String, error: String) {
        let deadline = Date().addingTimeInterval(timeout)
        // Read on other threads so a chatty child never blocks on a full pipe.
        let outputData = LockedData()
        let errorData = LockedData()
        let group = DispatchGroup()
        for (pipe, sink) in [(output, outputData), (error, errorData)] {
            DispatchQueue.global().async(group: group) { sink.set(pipe.fileHandleForReading.readDataToEndOfFile()) }
        }
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        // A grandchild that outlived its parent may hold the pipes open: do not wait for it forever.
        _ = group.wait(timeout: .now() + 5)
        return (process.terminationStatus, outputData.text, errorData.text)
    }

    func signal(_ number: Int32) { if process.isRunning { kill(process.processIdentifier, number) } }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// Data filled by one reader thread and read after it finished.
final class LockedData: @unchecked Sendable {
    // Invariant: every access holds `lock`.
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.withLock { data = value } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}

/// Receives one message within the timeout, else `nil`.
func receive(_ socket: Socket, timeout: Double) throws -> [[UInt8]]? {
    var poller = Poller()
    poller.add(socket)
    guard try poller.poll(timeoutMilliseconds: Int(timeout * 1000))[0].contains(.readable) else { return nil }
    return try socket.tryReceive()
}

/// The test's stand-in for the edge broker: a ROUTER speaking the node side of the credit contract.
/// Events name nodes by id; replies go to the route (PeerRoute) the node last used.
final class FakeBroker {
    let context: Context
    let router: Socket
    let endpoint: String
    private var routes: [String: [UInt8]] = [:]

    init(endpoint requested: String) throws {
        context = try Context()
        router = try context.socket(.router)
        endpoint = try router.bind(requested)
    }

    enum Event {
        case control(node: String, ControlMessage)
        case latent(node: String, LatentMessage, bytes: Int, at: Double)
    }

    /// The next message from a node, or `nil` on timeout. A node's connection probe (an empty message,
    /// first on every new connection) is skipped.
    func next(timeout: Double) throws -> Event? {
        let deadline = PipelineClock.seconds() + timeout
        var received = try receive(router, timeout: timeout)
        while let frames = received, frames.count == 2, frames[1].isEmpty {
            received = try receive(router, timeout: max(0, deadline - PipelineClock.seconds()))
        }
        guard let frames = received, frames.count == 3, let kind = MessageKind(tag: frames[1]) else { return nil }
        let node = PeerRoute.peerID(of: String(decoding: frames[0], as: UTF8.self))
        routes[node] = frames[0]
        switch kind {
        case .control: return .control(node: node, try ControlMessage(serialized: frames[2]))
        case .latent:
            return .latent(
                node: node, try LatentMessage(serialized: frames[2]), bytes: frames[1].count + frames[2].count,
                at: PipelineClock.seconds())
        default: return nil
        }
    }

    func grant(_ node: String, _ grants: UInt32) throws {
        try router.send([
            routes[node] ?? Array(node.utf8), MessageKind.control.tag,
            ControlMessage.credit(.init(nodeID: node, grants: grants)).serialized(),
        ])
    }

    /// Tells the node this broker holds no session for it (docs/pipeline.md: it starts a new one).
    func bye(_ node: String, reason: String = "test: send hello") throws {
        try router.send([
            routes[node] ?? Array(node.utf8), MessageKind.control.tag,
            ControlMessage.bye(.init(peerID: "edge", reason: reason)).serialized(),
        ])
    }

    func close() {
        router.close()
        context.close()
    }
}
