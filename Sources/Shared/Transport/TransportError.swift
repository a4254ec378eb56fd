/// A libzmq call failed. `code` is libzmq's errno (EAGAIN never appears here: the non-blocking calls
/// return it as `nil`/`false`), `reason` is `zmq_strerror`'s text.
public struct TransportError: Error, Equatable, CustomStringConvertible {
    /// What was attempted, with its argument: `bind tcp://127.0.0.1:5555`, `send`, `set linger`.
    public let operation: String
    public let code: Int32
    public let reason: String

    public init(operation: String, code: Int32, reason: String) {
        self.operation = operation
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(operation) failed: \(reason) (errno \(code))" }
}
