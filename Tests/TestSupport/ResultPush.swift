import Shared

/// Plays the edge for a sink under test: a PUSH socket connected to the sink's results endpoint that
/// sends Results as the broker would.
public final class ResultPush {
    private let context: Context
    private let socket: Socket

    public init(to endpoint: String) throws {
        context = try Context()
        socket = try context.socket(.push)
        try socket.connect(endpoint)
    }

    deinit {
        socket.close()
        context.close()
    }

    public func send(_ result: ResultMessage) throws {
        try socket.send(Envelope(kind: .result, payload: result.serialized()).frames())
    }
}
