import Foundation
import Shared
import Synchronization
import Testing

/// Receives one message, or `nil` when none arrives within the timeout (so a broken test fails instead of hanging).
func receive(_ socket: Socket, timeoutMilliseconds: Int = 5_000) throws -> [[UInt8]]? {
    var poller = Poller()
    poller.add(socket)
    guard try poller.poll(timeoutMilliseconds: timeoutMilliseconds)[0].contains(.readable) else { return nil }
    return try socket.tryReceive()
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A fresh directory for ipc:// endpoints, removed by the caller.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ladon-transport-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite struct SocketTests {
    @Test(arguments: ["tcp", "ipc"])
    func pushPullDeliversEveryMessageInOrder(transport: String) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let context = try Context()
        defer { context.close() }
        let pull = try context.socket(.pull)
        defer { pull.close() }
        let push = try context.socket(.push)
        defer { push.close() }

        let requested = transport == "tcp" ? "tcp://127.0.0.1:*" : "ipc://\(directory.path)/pull.sock"
        let endpoint = try pull.bind(requested)
        #expect(endpoint.hasPrefix("\(transport)://"))
        if transport == "tcp" { #expect(!endpoint.hasSuffix(":*"), "the bound port is reported: \(endpoint)") }
        try push.connect(endpoint)

        for index in 0..<100 { try push.send([bytes("frame \(index)")]) }
        var received: [String] = []
        while received.count < 100, let message = try receive(pull) {
            received.append(String(decoding: message[0], as: UTF8.self))
        }
        #expect(received == (0..<100).map { "frame \($0)" })
    }

    @Test func dealerIdentityReachesTheRouterAndTheReplyIsRoutedBack() throws {
        let context = try Context()
        defer { context.close() }
        let router = try context.socket(.router)
        defer { router.close() }
        try router.set(.routerMandatory(true))
        let dealer = try context.socket(.dealer)
        defer { dealer.close() }
        try dealer.set(.routingID(bytes("worker-7")))

        try dealer.connect(try router.bind("tcp://127.0.0.1:*"))
        try dealer.send([bytes("LATENT"), [], [0, 1, 2, 255]])
        let request = try #require(try receive(router))
        #expect(request == [bytes("worker-7"), bytes("LATENT"), [], [0, 1, 2, 255]])

        try router.send([bytes("worker-7"), bytes("RESULT"), bytes("ok")])
        #expect(try receive(dealer) == [bytes("RESULT"), bytes("ok")])
    }

    @Test func mandatoryRouterRefusesAnUnknownPeerWithEhostunreach() throws {
        let context = try Context()
        defer { context.close() }
        let router = try context.socket(.router)
        defer { router.close() }
        try router.set(.routerMandatory(true))
        try router.bind("tcp://127.0.0.1:*")
        let error = try #require(throws: TransportError.self) { try router.send([bytes("nobody"), bytes("hello")]) }
        #expect(error.isUnroutable, "\(error)")
        #expect(error.code == EHOSTUNREACH)
    }

    @Test func subscriberReceivesOnlyTopicsStartingWithItsPrefix() throws {
        let context = try Context()
        defer { context.close() }
        let publisher = try context.socket(.publisher)
        defer { publisher.close() }
        let subscriber = try context.socket(.subscriber)
        defer { subscriber.close() }
        try subscriber.set(.subscribe(prefix: bytes("cam-01/")))
        try subscriber.connect(try publisher.bind("tcp://127.0.0.1:*"))

        // A subscription reaches the publisher asynchronously: publish a marker until one arrives.
        var synchronised = false
        for _ in 0..<200 where !synchronised {
            try publisher.send([bytes("cam-01/sync"), []])
            synchronised = try receive(subscriber, timeoutMilliseconds: 20) != nil
        }
        #expect(synchronised, "the subscription never reached the publisher")
        while try receive(subscriber, timeoutMilliseconds: 50) != nil {}

        for topic in ["cam-01/classification", "cam-02/all", "cam-010/all", "cam-01/all", "cam-01", "cam-01/end"] {
            try publisher.send([bytes(topic), bytes("payload")])
        }
        var topics: [String] = []
        while let message = try receive(subscriber) {
            #expect(message.count == 2 && message[1] == bytes("payload"))
            topics.append(String(decoding: message[0], as: UTF8.self))
            if topics.last == "cam-01/end" { break }
        }
        #expect(topics == ["cam-01/classification", "cam-01/all", "cam-01/end"])
    }

    @Test func oversizedMessageDropsThatConnectionAndTheReceiverKeepsServingOthers() throws {
        let context = try Context()
        defer { context.close() }
        let pull = try context.socket(.pull)
        defer { pull.close() }
        try pull.set(.maxMessageSize(bytes: 1_000))
        let endpoint = try pull.bind("tcp://127.0.0.1:*")

        let offender = try context.socket(.push)
        defer { offender.close() }
        try offender.connect(endpoint)
        try offender.send([[UInt8](repeating: 7, count: 4_000)])
        #expect(try receive(pull, timeoutMilliseconds: 300) == nil, "the oversized message must not be delivered")

        let polite = try context.socket(.push)
        defer { polite.close() }
        try polite.connect(endpoint)
        try polite.send([[UInt8](repeating: 1, count: 1_000)])
        #expect(try receive(pull) == [[UInt8](repeating: 1, count: 1_000)])
    }

    @Test func highWaterMarkMakesTrySendReportFullInsteadOfBlocking() throws {
        let context = try Context()
        defer { context.close() }
        let push = try context.socket(.push)
        defer { push.close() }
        // No peer yet: PUSH has nowhere to queue, so a non-blocking send is refused as a value.
        #expect(try push.trySend([bytes("nobody listens")]) == false)
        let pull = try context.socket(.pull)
        defer { pull.close() }
        try pull.set(.receiveHighWaterMark(messages: 1))
        try push.set(.sendHighWaterMark(messages: 1))
        try push.connect(try pull.bind("tcp://127.0.0.1:*"))
        #expect(try receive(pull, timeoutMilliseconds: 50) == nil)
        var accepted = 0
        // Each side buffers a little; the queue must fill long before 10 000 messages.
        while accepted < 10_000, try push.trySend([bytes("m")]) { accepted += 1 }
        #expect(accepted < 10_000, "sends never reported a full queue")
        #expect(try receive(pull) != nil)
    }

    @Test func emptyReceiveQueueYieldsNilWithoutBlocking() throws {
        let context = try Context()
        defer { context.close() }
        let pull = try context.socket(.pull)
        defer { pull.close() }
        try pull.bind("tcp://127.0.0.1:*")
        #expect(try pull.tryReceive() == nil)
    }

    @Test func pollerTimesOutWithNothingReadyThenReportsTheSocketThatIs() throws {
        let context = try Context()
        defer { context.close() }
        let quiet = try context.socket(.pull)
        defer { quiet.close() }
        let busy = try context.socket(.pull)
        defer { busy.close() }
        let push = try context.socket(.push)
        defer { push.close() }
        try quiet.bind("tcp://127.0.0.1:*")
        try push.connect(try busy.bind("tcp://127.0.0.1:*"))

        var poller = Poller()
        #expect(poller.add(quiet) == 0)
        #expect(poller.add(busy) == 1)
        #expect(try poller.poll(timeoutMilliseconds: 30) == [[], []])

        try push.send([bytes("wake")])
        var ready: [PollEvents] = [[], []]
        for _ in 0..<100 where ready[1].isEmpty { ready = try poller.poll(timeoutMilliseconds: 50) }
        #expect(ready == [[], .readable])
        #expect(try busy.tryReceive() == [bytes("wake")])
    }

    @Test func closeIsIdempotentAndLaterCallsFailNamingTheClosedSocket() throws {
        let context = try Context()
        defer { context.close() }
        let socket = try context.socket(.dealer, lingerMilliseconds: 250)
        #expect(try socket.lingerMilliseconds() == 250)
        socket.close()
        socket.close()
        #expect(socket.isClosed)
        let error = try #require(throws: TransportError.self) { try socket.send([bytes("late")]) }
        #expect(error.code == ENOTSOCK)
        #expect(error.description == "send failed: socket is closed (errno \(ENOTSOCK))")
        #expect(throws: TransportError.self) { try socket.tryReceive() }
        var poller = Poller()
        poller.add(socket)
        #expect(throws: TransportError.self) { try poller.poll(timeoutMilliseconds: 0) }
        context.close()
        context.close()
        #expect(throws: TransportError.self) { try context.socket(.push) }
    }

    @Test func bindingATakenPortFailsWithTheEndpointAndErrnoInTheError() throws {
        let context = try Context()
        defer { context.close() }
        let first = try context.socket(.pull)
        defer { first.close() }
        let second = try context.socket(.pull)
        defer { second.close() }
        let endpoint = try first.bind("tcp://127.0.0.1:*")
        let error = try #require(throws: TransportError.self) { try second.bind(endpoint) }
        #expect(error.code == EADDRINUSE)
        #expect(error.operation == "bind \(endpoint)")
        #expect(error.reason.lowercased().contains("in use"), "\(error)")
    }

    @Test func malformedEndpointIsATransportErrorNotACrash() throws {
        let context = try Context()
        defer { context.close() }
        let socket = try context.socket(.push)
        defer { socket.close() }
        #expect(throws: TransportError.self) { try socket.connect("nonsense://here") }
        #expect(throws: TransportError.self) { try socket.bind("tcp://127.0.0.1:notaport") }
    }

    @Test func closingTheContextWakesABlockedReceiverWithEterm() throws {
        let context = try Context()
        let outcome = Mutex<TransportError?>(nil)
        let started = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        Thread {
            defer { finished.signal() }
            guard let socket = try? context.socket(.pull) else { return }
            defer { socket.close() }
            _ = try? socket.bind("tcp://127.0.0.1:*")
            started.signal()
            do throws(TransportError) { _ = try socket.receive() } catch { outcome.withLock { $0 = error } }
        }.start()
        started.wait()
        Thread.sleep(forTimeInterval: 0.05)
        context.close()
        #expect(finished.wait(timeout: .now() + 10) == .success)
        #expect(outcome.withLock { $0?.isContextTerminated } == true)
    }
}
