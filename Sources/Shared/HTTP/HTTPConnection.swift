import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One accepted, non-blocking connection, read and written under deadlines. The owner closes it once.
public struct HTTPConnection: Sendable {
    public enum Head: Equatable, Sendable {
        case head([UInt8])
        case tooLarge
        case closed
        case timedOut
    }

    public let descriptor: Int32

    public init(descriptor: Int32) { self.descriptor = descriptor }

    /// Reads until the blank line that ends a request head (CRLF CRLF, or LF LF from a lax client).
    public func readHead(limit: Int, timeout: Double) -> Head {
        let deadline = PipelineClock.seconds() + timeout
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        while true {
            guard wait(for: POLLIN, until: deadline) else { return .timedOut }
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, min($0.count, limit + 1 - head.count), 0) }
            if count < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                return .closed
            }
            if count == 0 { return .closed }
            let searchFrom = max(0, head.count - 3)
            head += chunk[..<count]
            if let end = Self.endOfHead(head, from: searchFrom) { return .head(Array(head[..<end])) }
            if head.count > limit { return .tooLarge }
        }
    }

    static func endOfHead(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n") { return index }
                if index + 2 < bytes.count && bytes[index + 1] == UInt8(ascii: "\r") && bytes[index + 2] == UInt8(ascii: "\n") { return index }
            }
            index += 1
        }
        return nil
    }

    /// Writes all of `bytes`; `false` when the client stopped reading for `timeout` or went away.
    public func write(_ bytes: [UInt8], timeout: Double) -> Bool {
        let deadline = PipelineClock.seconds() + timeout
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count > 0 {
                offset += count
                continue
            }
            guard count < 0, errno == EAGAIN || errno == EINTR, wait(for: POLLOUT, until: deadline) else { return false }
        }
        return true
    }

    /// Writes what the kernel takes now without waiting: the count sent (0 when its buffer is full),
    /// `nil` when the client went away.
    public func writeAvailable(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard !bytes.isEmpty else { return 0 }
        let count = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if count >= 0 { return count }
        return errno == EAGAIN || errno == EINTR ? 0 : nil
    }

    /// Whether the client hung up (or sent something, which a stream's client never does).
    public func peerClosedOrSent() -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0
    }

    /// A close with request bytes still unread would reset the connection and could destroy the answer
    /// in flight: say we are done, then read (a little, briefly) what the client still sends.
    public func finish() {
        shutdown(descriptor, Int32(SHUT_WR))
        drain(limit: 64 << 10, timeout: 0.2)
    }

    public func close() { Glibc.close(descriptor) }

    /// Reads and drops up to `limit` bytes until the client closes or `timeout` passes.
    private func drain(limit: Int, timeout: Double) {
        let deadline = PipelineClock.seconds() + timeout
        var chunk = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while total < limit, wait(for: POLLIN, until: deadline) {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            guard count > 0 else { return }
            total += count
        }
    }

    private func wait(for events: Int32, until deadline: Double) -> Bool {
        while true {
            let left = deadline - PipelineClock.seconds()
            guard left > 0 else { return false }
            var entry = pollfd(fd: descriptor, events: Int16(events), revents: 0)
            let status = poll(&entry, 1, Int32(max(1, min(left * 1000, 1000))))
            if status > 0 { return true }
            if status < 0 && errno != EINTR { return false }
        }
    }
}
