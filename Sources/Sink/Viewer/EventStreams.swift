import Foundation
import Shared

/// The viewer's open Server-Sent Events streams: each starts with a `snapshot` event and then gets an
/// `update` event per Result, written without blocking; what the kernel does not take waits in the
/// stream's own buffer, and a stream whose buffer passes the limit is closed (its page reconnects by
/// itself and starts from a snapshot). Owned by the viewer's thread.
struct EventStreams {
    private struct Stream {
        let connection: HTTPConnection
        var pending: [UInt8]
        var revision: UInt64
        /// What is left of the opening snapshot: not counted against the limit, so a large board cannot
        /// close every new stream before it has started.
        var opening: Int
    }

    private let limits: ViewerServer.Limits
    private var streams: [Stream] = []
    private var lastKeepAlive = PipelineClock.seconds()

    init(limits: ViewerServer.Limits) { self.limits = limits }

    var count: Int { streams.count }

    static let head =
        Array(
            [
                "HTTP/1.1 200 OK", "Content-Type: text/event-stream; charset=utf-8", "Cache-Control: no-store", "Connection: close",
                "X-Accel-Buffering: no",
            ].joined(separator: "\r\n").utf8) + Array("\r\n\r\n".utf8)

    /// One event in the stream's format; `data` is one line of JSON.
    static func event(_ name: String, _ data: String) -> [UInt8] { Array("event: \(name)\ndata: \(data)\n\n".utf8) }

    mutating func open(_ connection: HTTPConnection, _ board: ViewerBoard) {
        let (snapshot, revision) = board.snapshot()
        let opening = Self.head + Self.event("snapshot", snapshot)
        streams.append(Stream(connection: connection, pending: opening, revision: revision, opening: opening.count))
    }

    /// Queues what each stream has not seen, writes what the sockets take, closes the streams that went
    /// away; returns how many were closed for falling too far behind.
    mutating func pump(_ board: ViewerBoard) -> Int {
        let keepAlive = PipelineClock.seconds() - lastKeepAlive >= limits.keepAliveSeconds
        if keepAlive { lastKeepAlive = PipelineClock.seconds() }
        var closedSlow = 0
        var kept: [Stream] = []
        for var stream in streams {
            if let (updates, revision) = board.updates(after: stream.revision) {
                for update in updates { stream.pending += Self.event("update", update) }
                stream.revision = revision
            } else {
                let (snapshot, revision) = board.snapshot()
                stream.pending += Self.event("snapshot", snapshot)
                stream.revision = revision
            }
            if keepAlive { stream.pending += Array(": keep-alive\n\n".utf8) }
            guard let sent = stream.connection.writeAvailable(stream.pending[...]), !stream.connection.peerClosedOrSent() else {
                stream.connection.close()
                continue
            }
            stream.pending.removeFirst(sent)
            stream.opening = max(0, stream.opening - sent)
            if stream.pending.count - stream.opening > limits.maximumPendingBytes {
                closedSlow += 1
                stream.connection.close()
                continue
            }
            kept.append(stream)
        }
        streams = kept
        return closedSlow
    }

    mutating func closeAll() {
        for stream in streams { stream.connection.close() }
        streams = []
    }
}
