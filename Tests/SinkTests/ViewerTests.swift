import Foundation
import LadonSink
import Shared
import TestSupport
import Testing

/// The live viewer: its request rules and board apart from sockets, then its server over loopback TCP
/// (the page, the event stream, the pictures, the limits). A browser's view of it is ViewerBrowserTests.
@Suite struct ViewerTests {
    static func result(_ node: String, _ sequence: UInt64, bytes: UInt64 = 1_000, error: String? = nil) -> ResultMessage {
        let size = ImageSize(height: 128, width: 192)
        // The right half is class 1, the left half background.
        let labels = (0..<(128 * 192)).map { UInt8($0 % 192 >= 96 ? 1 : 0) }
        var result = ResultMessage(
            header: FrameHeader(nodeID: node, sequence: sequence, captureTimeMicroseconds: 1_000 * Int64(sequence), source: "f\(sequence).jpg"),
            model: ModelIdentity(backbone: "resnet50", beta: 1.28, weightsHash: 3), originalSize: size,
            tasks: TaskResults(
                classification: Classification(top: [ClassScore(classIndex: 2, name: "star", probability: 0.75)]),
                detections: [
                    DetectedObject(box: Box(x1: 130, y1: 60, x2: 170, y2: 100), label: 1, name: "ring", score: 0.9),
                    DetectedObject(box: Box(x1: 140, y1: 70, x2: 160, y2: 90), label: 1, name: "ring", score: 0.6),
                    DetectedObject(box: Box(x1: 1, y1: 1, x2: 5, y2: 5), label: 2, name: "star", score: 0.2),
                ],
                segmentation: SegmentationMap(size: size, labels: labels, classNames: ["background", "ring", "star"])),
            timings: [StageTiming(stage: "trunk", milliseconds: 12.5)], latentBytes: bytes)
        result.error = error
        return result
    }

    /// Plays the sink: counts each Result as it does and records it on the board.
    final class Feed {
        let board: ViewerBoard
        private var metrics = SinkMetrics()

        init(_ board: ViewerBoard) { self.board = board }

        func record(_ result: ResultMessage) {
            let latency = metrics.record(result, receivedMicroseconds: result.header.captureTimeMicroseconds + 40_000)
            board.record(result, latencyMilliseconds: latency, counts: metrics.perNode[result.header.nodeID]!)
        }
    }

    static func object(_ json: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    // MARK: Rules

    @Test(arguments: [
        ("GET / HTTP/1.1\r\n\r\n", ViewerRequest.Resource.page), ("GET /index.html?x=1 HTTP/1.0\r\n\r\n", .page),
        ("GET /events HTTP/1.1\r\n\r\n", .events), ("GET /state.json HTTP/1.1\r\n\r\n", .state),
        ("GET /frame/cam-01.png?s=4 HTTP/1.1\r\n\r\n", .frame(node: "cam-01")),
        ("GET /frame/yard%20cam%2F2.png HTTP/1.1\r\n\r\n", .frame(node: "yard cam/2")),
        ("GET /frame/.png HTTP/1.1\r\n\r\n", .notFound), ("GET /frame/%zz.png HTTP/1.1\r\n\r\n", .notFound),
        ("GET /../etc/passwd HTTP/1.1\r\n\r\n", .notFound), ("POST / HTTP/1.1\r\n\r\n", .notAllowed(allowed: ["GET", "HEAD"])),
        ("HEAD /events HTTP/1.1\r\n\r\n", .notAllowed(allowed: ["GET"])), ("\u{1}garbage\r\n\r\n", .badRequest),
    ])
    func requestsNameTheirResource(head: String, resource: ViewerRequest.Resource) {
        #expect(ViewerRequest(Array(head.utf8)).resource == resource)
    }

    @Test func theBoardKeepsEachNodesNewestAnswerAndABoundedHistory() throws {
        var limits = ViewerBoard.Limits()
        limits.historyLength = 3
        let board = ViewerBoard(limits: limits)
        let feed = Feed(board)
        for sequence in 1...5 { feed.record(Self.result("cam-a", UInt64(sequence))) }
        feed.record(Self.result("cam-a", 6, error: "no edge worker available"))
        feed.record(Self.result("cam-b", 1, bytes: 700))
        #expect(board.latestAnswered(node: "cam-a")?.header.sequence == 5, "an error Result is not drawn")
        let snapshot = try Self.object(board.snapshot().json)
        let nodes = try #require(snapshot["nodes"] as? [[String: Any]])
        #expect(nodes.compactMap { ($0["update"] as? [String: Any])?["node"] as? String } == ["cam-a", "cam-b"], "in order of arrival")
        let history = try #require(nodes[0]["history"] as? [[String: Any]])
        #expect(history.compactMap { $0["s"] as? Int } == [4, 5, 6])
        let update = try #require(nodes[0]["update"] as? [String: Any])
        #expect(update["error"] as? String == "no edge worker available")
        #expect(update["frames"] as? Int == 6 && update["errors"] as? Int == 1)
        let answered = try Self.object(try #require(board.updates(after: 0)?.updates.first))
        let objects = try #require(answered["objects"] as? [[String: Any]])
        #expect(
            objects.count == 1 && objects[0]["name"] as? String == "ring" && objects[0]["count"] as? Int == 2, "the 0.2 star is below the shown score"
        )
        #expect(answered["top_class"] as? String == "star" && answered["source"] as? String == "f1.jpg")
        #expect((answered["stages"] as? [String: Any])?["trunk"] as? Double == 12.5)
    }

    @Test func aReaderTooFarBehindTheLogGetsNoUpdatesAndNodesBeyondTheLimitAreCounted() throws {
        var limits = ViewerBoard.Limits()
        limits.logLength = 4
        limits.maximumNodes = 2
        let board = ViewerBoard(limits: limits)
        let feed = Feed(board)
        for sequence in 1...6 { feed.record(Self.result("cam-a", UInt64(sequence))) }
        #expect(board.updates(after: 1) == nil, "updates 2 and 3 have left the log: a snapshot is due")
        #expect(board.updates(after: 2)?.updates.count == 4)
        #expect(board.updates(after: 6)?.updates.isEmpty == true)
        feed.record(Self.result("cam-b", 1))
        feed.record(Self.result("cam-c", 1))
        feed.record(Self.result("cam-c", 2))
        let snapshot = try Self.object(board.snapshot().json)
        #expect((snapshot["nodes"] as? [Any])?.count == 2 && snapshot["nodes_not_shown"] as? Int == 1)
    }

    // MARK: Server

    static func server(_ board: ViewerBoard, limits: ViewerServer.Limits = ViewerServer.Limits()) throws -> ViewerServer {
        try ViewerServer(
            board: board, address: HTTPAddress(host: "127.0.0.1", port: 0), renderer: AnnotationRenderer(), folder: nil, limits: limits)
    }

    @Test func thePageIsOneDocumentThatFetchesNothingFromAnotherHost() throws {
        let server = try Self.server(ViewerBoard())
        defer { server.close() }
        let response = try HTTPClient.get(port: server.address.port, "/")
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(response.headers.contains("Content-Type: text/html; charset=utf-8"))
        #expect(response.body.contains("new EventSource(\"/events\")"))
        for outside in ["http://", "https://", "src=\"//", "<link", "import "] { #expect(!response.body.contains(outside), "\(outside)") }
        #expect(try HTTPClient.get(port: server.address.port, "/nothing").statusLine == "HTTP/1.1 404 Not Found")
        let head = try HTTPClient.exchange(port: server.address.port, "HEAD /state.json HTTP/1.1\r\n\r\n")
        #expect(head.statusLine == "HTTP/1.1 200 OK" && head.body.isEmpty)
    }

    @Test func thePageCarriesTheSnapshotAndANodeNameCannotEndItsDataBlock() throws {
        let board = ViewerBoard()
        let hostile = "</script><!--<script>alert(1)</script>"
        Feed(board).record(Self.result(hostile, 1))
        let server = try Self.server(board)
        defer { server.close() }
        let page = try HTTPClient.get(port: server.address.port, "/").body
        #expect(page.components(separatedBy: "</script>").count == 3, "only the data block and the script end")
        let start = try #require(page.range(of: #"<script id="snapshot" type="application/json">"#))
        let end = try #require(page.range(of: "</script>", range: start.upperBound..<page.endIndex))
        let snapshot = try Self.object(String(page[start.upperBound..<end.lowerBound]))
        let nodes = try #require(snapshot["nodes"] as? [[String: Any]])
        #expect((nodes.first?["update"] as? [String: Any])?["node"] as? String == hostile)
        #expect(!page.contains("<!--"), "no comment can open inside the data block")
    }

    @Test func theEventStreamStartsFromASnapshotAndSendsAnUpdatePerResult() throws {
        let board = ViewerBoard()
        let feed = Feed(board)
        feed.record(Self.result("cam-a", 1))
        let server = try Self.server(board)
        defer { server.close() }
        let client = try HTTPClient(port: server.address.port)
        defer { client.close() }
        client.send(Array("GET /events HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        let start = client.read(for: 10) { $0.contains("event: snapshot\ndata: ") && $0.hasSuffix("\n\n") }
        #expect(start.hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream"), "\(start)")
        #expect(start.contains(#""sequence":1"#))
        feed.record(Self.result("cam-a", 2))
        feed.record(Self.result("cam-b", 7))
        let updates = client.read(for: 10) { $0.components(separatedBy: "event: update\n").count == 3 }
        let lines = updates.split(separator: "\n").filter { $0.hasPrefix("data: ") }
        #expect(lines.count == 2, "\(updates)")
        #expect(lines.first?.contains(#""node":"cam-a""#) == true && lines.first?.contains(#""sequence":2"#) == true)
        #expect(lines.last?.contains(#""node":"cam-b""#) == true)
        #expect(server.counts.streamsOpened == 1)
    }

    @Test func aStreamThatStopsReadingIsClosedAndStreamsBeyondTheLimitAreRefused() throws {
        let board = ViewerBoard()
        let feed = Feed(board)
        var limits = ViewerServer.Limits()
        limits.maximumPendingBytes = 64 << 10
        limits.maximumStreams = 1
        let server = try Self.server(board, limits: limits)
        defer { server.close() }
        let stalled = try HTTPClient(port: server.address.port)
        defer { stalled.close() }
        stalled.send(Array("GET /events HTTP/1.1\r\n\r\n".utf8))
        let deadline = Date().addingTimeInterval(5)
        while server.counts.streamsOpened == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(try HTTPClient.get(port: server.address.port, "/events").statusLine == "HTTP/1.1 503 Service Unavailable")
        // The stalled client reads nothing: its socket buffers fill, then its pending updates pass the limit.
        var sequence: UInt64 = 0
        while server.counts.slowStreamsClosed == 0 && Date() < deadline.addingTimeInterval(25) {
            for _ in 0..<200 {
                sequence += 1
                feed.record(Self.result("cam-a", sequence))
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(server.counts.slowStreamsClosed == 1, "after \(sequence) updates")
        #expect(server.counts.streamsRefused == 1)
    }

    @Test func aNodesPictureIsItsNewestAnsweredFrameWithTheMaskAndBoxesDrawn() throws {
        let board = ViewerBoard()
        let feed = Feed(board)
        feed.record(Self.result("cam a", 3))
        feed.record(Self.result("cam a", 4, error: "broken"))
        let server = try Self.server(board)
        defer { server.close() }
        #expect(try HTTPClient.get(port: server.address.port, "/frame/nobody.png").statusLine == "HTTP/1.1 404 Not Found")
        let client = try HTTPClient(port: server.address.port)
        defer { client.close() }
        client.send(Array("GET /frame/cam%20a.png HTTP/1.1\r\n\r\n".utf8))
        let bytes = client.readAll()
        let end = try #require(bytes.indices.first { bytes[$0...].starts(with: Array("\r\n\r\n".utf8)) })
        #expect(String(decoding: bytes[..<end], as: UTF8.self).contains("Content-Type: image/png"))
        let image = try PNG.decode(Array(bytes[(end + 4)...]))
        #expect(image.size == ImageSize(height: 128, width: 192) && image.channels == 3)
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(image.pixels[(y * 192 + x) * 3..<(y * 192 + x) * 3 + 3]) }
        let background = [UInt8](repeating: ViewerFrames.background, count: 3)
        #expect(pixel(40, 60) == background, "class 0 is not tinted")
        #expect(pixel(110, 110) != background, "the right half is masked")
        // The ring's left box edge (x 130, y 60-100) is drawn in its class colour, unblended, inside the masked half.
        let colour = ClassPalette.colour(1)
        let edge = (70..<98).filter { pixel(130, $0) == [colour.r, colour.g, colour.b] }.count
        #expect(edge >= 24, "the ring's box: \(edge) of 28 edge pixels in its colour")
        #expect(server.counts.framesDrawn == 1)
        _ = try HTTPClient.get(port: server.address.port, "/frame/cam%20a.png")
        #expect(server.counts.framesDrawn == 1, "the same frame again comes from the cache")
    }
}
