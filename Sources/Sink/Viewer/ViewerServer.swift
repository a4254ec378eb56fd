import Foundation
import Shared
import Synchronization

/// `ladon-sink serve --http ADDR:PORT`: the live viewer. One thread serves
///   `/`                 the page (ViewerPage: HTML, CSS and script in one document, nothing fetched elsewhere),
///   `/events`           a Server-Sent Events stream: a `snapshot` of every node, then an `update` per Result,
///   `/frame/NODE.png`   the node's newest answered frame drawn with its boxes, mask and top class,
///   `/state.json`       the snapshot, for scripts.
/// Request heads are bounded as for `/metrics` (HTTPLimits). At most `maximumStreams` event streams at
/// once (503 beyond); a stream whose client stops reading for `maximumPendingBytes` of updates is
/// closed (counted), so a slow browser never holds the sink back. The sink's I/O thread only writes the
/// board; pictures are drawn here, when a page asks, once per node and frame.
public final class ViewerServer: Sendable {
    public struct Limits: Sendable {
        public var http = HTTPLimits()
        public var maximumStreams = 16
        public var maximumPendingBytes = 1 << 20
        /// A comment line this often keeps proxies from closing an idle stream and finds dead clients.
        public var keepAliveSeconds = 15.0

        public init() {}
    }

    public struct Counts: Sendable, Equatable {
        public var pages = 0
        public var streamsOpened = 0
        public var streamsRefused = 0
        public var slowStreamsClosed = 0
        public var framesDrawn = 0
        public var frameFailures = 0
    }

    public let board: ViewerBoard
    public var address: HTTPAddress { serving.listener.address }
    public var counts: Counts { tally.withLock { $0 } }

    private let frames: ViewerFrames
    private let limits: Limits
    private let serving: HTTPServingThread
    private let tally = Mutex(Counts())
    private let log = Logger(label: "ladon-sink.viewer")

    /// Binds `address` and starts serving `board`; pictures are drawn on the frames of `folder` when it
    /// is given and holds the Result's source, else on a plain background of the frame's size.
    public init(board: ViewerBoard, address: HTTPAddress, renderer: AnnotationRenderer, folder: FrameFolder?, limits: Limits = Limits())
        throws(HTTPServerError)
    {
        self.board = board
        self.limits = limits
        frames = ViewerFrames(renderer: renderer, folder: folder)
        serving = HTTPServingThread(try HTTPListener(address, serving: "the viewer"))
        serving.start { [self] in serve() }
    }

    /// Stops the thread, closes every stream and the listening socket. Idempotent.
    public func close() { serving.close() }

    // MARK: Serving

    private func serve() {
        var streams = EventStreams(limits: limits)
        var cache = ViewerFrames.Cache()
        while !serving.isStopping {
            if let connection = serving.listener.accept(timeoutMilliseconds: 50) {
                handle(connection, &streams, &cache)
            }
            let closedSlow = streams.pump(board)
            if closedSlow > 0 { count { $0.slowStreamsClosed += closedSlow } }
        }
        streams.closeAll()
    }

    private func handle(_ connection: HTTPConnection, _ streams: inout EventStreams, _ cache: inout ViewerFrames.Cache) {
        guard let head = connection.readRequestHead(limits.http) else { return connection.close() }
        let request = ViewerRequest(head)
        if request.resource == .events {
            if streams.count >= limits.maximumStreams {
                count { $0.streamsRefused += 1 }
                connection.answer(HTTPResponse(status: 503, reason: "Service Unavailable", body: "too many viewers\n"), limits.http)
                return connection.close()
            }
            count { $0.streamsOpened += 1 }
            streams.open(connection, board)
            return
        }
        var response = respond(to: request.resource, &cache)
        response.omitsBody = request.omitsBody
        connection.answer(response, limits.http)
        connection.close()
    }

    private func respond(to resource: ViewerRequest.Resource, _ cache: inout ViewerFrames.Cache) -> HTTPResponse {
        switch resource {
        case .badRequest: return .badRequest
        case let .notAllowed(allowed): return .methodNotAllowed(allowed: allowed)
        case .notFound: return .notFound("the viewer is at /")
        case .page:
            count { $0.pages += 1 }
            return HTTPResponse(
                status: 200, reason: "OK", contentType: "text/html; charset=utf-8", body: ViewerPage.html(snapshot: board.snapshot().json))
        case .state: return HTTPResponse(status: 200, reason: "OK", contentType: "application/json", body: board.snapshot().json)
        case .events: return .badRequest  // opened as a stream before
        case let .frame(node):
            guard let result = board.latestAnswered(node: node) else { return .notFound("no answered frame of node '\(node)' yet") }
            do throws(AnnotationError) {
                let (png, drawn) = try frames.png(result, cache: &cache)
                if drawn { count { $0.framesDrawn += 1 } }
                var response = HTTPResponse(status: 200, reason: "OK", contentType: "image/png", body: png)
                response.extraHeaders = ["Cache-Control: no-store"]
                return response
            } catch {
                count { $0.frameFailures += 1 }
                log.warning("cannot draw a frame", ["node": node, "sequence": result.header.sequence, "error": "\(error)"])
                return HTTPResponse(status: 500, reason: "Internal Server Error", body: "cannot draw the frame: \(error)\n")
            }
        }
    }

    private func count(_ change: (inout Counts) -> Void) { tally.withLock { change(&$0) } }
}
