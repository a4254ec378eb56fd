import Foundation
import Shared
import Testing

/// How a peer learns that a connection was replaced: the socket monitor (the broker's sink link) and
/// the DEALER's probe with ZMQ_IMMEDIATE (a mobile node's reconnection, seen by the broker's ROUTER).
@Suite struct ConnectionEventTests {
    /// Events until one of `kind` arrives (or `timeout` seconds pass).
    func wait(for kind: SocketEvents, on monitor: SocketMonitor, timeout: Double = 5) throws -> SocketEvent? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            while let event = try monitor.next() {
                if event.kind == kind { return event }
            }
            usleep(10_000)
        }
        return nil
    }

    @Test func aMonitorReportsALostConnectionAndTheReconnection() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let context = try Context()
        defer { context.close() }
        let endpoint = "ipc://\(directory.path)/results"
        let push = try context.socket(.push)
        defer { push.close() }
        let monitor = try push.monitor([.connected, .disconnected])
        defer { monitor.close() }
        try push.connect(endpoint)

        var pull = try context.socket(.pull)
        try pull.bind(endpoint)
        #expect(try wait(for: .connected, on: monitor)?.endpoint == endpoint)
        pull.close()
        #expect(try wait(for: .disconnected, on: monitor) != nil)
        pull = try context.socket(.pull)
        defer { pull.close() }
        try pull.bind(endpoint)
        #expect(try wait(for: .connected, on: monitor) != nil, "libzmq reconnects and the monitor says so")
        try push.send([bytes("after")])
        #expect(try receive(pull) == [bytes("after")])
    }

    @Test func aProbingImmediateDealerAnnouncesEveryNewConnectionBeforeItsMessages() throws {
        let context = try Context()
        defer { context.close() }
        let router = try context.socket(.router)
        defer { router.close() }
        try router.set(.maxMessageSize(bytes: 1_000))
        let endpoint = try router.bind("tcp://127.0.0.1:*")
        let dealer = try context.socket(.dealer)
        defer { dealer.close() }
        try dealer.set(.routingID(bytes("cam-p")))
        try dealer.set(.immediate(true))
        try dealer.set(.probeRouter(true))
        try dealer.connect(endpoint)

        // libzmq attaches a new pipe (and writes the probe) when the dealer's owner next uses the socket,
        // as a node's loop does every turn; the test polls the dealer while it waits on the router.
        func next() throws -> [[UInt8]]? {
            for _ in 0..<100 {
                var poller = Poller()
                poller.add(dealer)
                poller.add(router)
                if try poller.poll(timeoutMilliseconds: 50)[1].contains(.readable) { return try router.tryReceive() }
            }
            return nil
        }
        #expect(try next() == [bytes("cam-p"), []], "the probe of the first connection")
        #expect(try dealer.trySend([bytes("latent"), bytes("small")]))
        #expect(try next() == [bytes("cam-p"), bytes("latent"), bytes("small")])
        // Over ZMQ_MAXMSGSIZE: the router drops the connection, the dealer reconnects and probes again.
        #expect(try dealer.trySend([bytes("latent"), [UInt8](repeating: 7, count: 4_000)]))
        #expect(try next() == [bytes("cam-p"), []], "the probe of the new connection")
        var sent = false
        for _ in 0..<100 where !sent {
            sent = try dealer.trySend([bytes("latent"), bytes("again")])
            if !sent { usleep(10_000) }
        }
        #expect(try next() == [bytes("cam-p"), bytes("latent"), bytes("again")])
    }
}
