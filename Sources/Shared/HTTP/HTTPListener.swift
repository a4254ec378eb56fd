import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A listening TCP socket for a stage's HTTP endpoint: bound at init (the kernel's port in place of 0),
/// accepting with a timeout so the serving thread can notice it should stop.
public final class HTTPListener: Sendable {
    /// The address as bound.
    public let address: HTTPAddress
    public let descriptor: Int32

    public init(_ requested: HTTPAddress, serving: String) throws(HTTPServerError) {
        (descriptor, address) = try Self.listen(requested, serving: serving)
    }

    /// A connection accepted within `timeoutMilliseconds`, non-blocking and close-on-exec; `nil` when none came.
    public func accept(timeoutMilliseconds: Int32) -> HTTPConnection? {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, timeoutMilliseconds) > 0 else { return nil }
        let client = Glibc.accept(descriptor, nil, nil)
        // EAGAIN (the connection went away before accept), EINTR, ECONNABORTED, EMFILE: try again later.
        guard client >= 0 else { return nil }
        // Glibc's accept4 is not visible to Swift: close-on-exec is set at once, so a worker process that
        // ladon-edge serve starts meanwhile can inherit the connection only in this one call's window.
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
        return HTTPConnection(descriptor: client)
    }

    /// Closes the listening socket; call once, after the serving thread stopped.
    public func close() { Glibc.close(descriptor) }

    private static func listen(_ address: HTTPAddress, serving: String) throws(HTTPServerError) -> (Int32, HTTPAddress) {
        func failure(_ operation: String, _ code: Int32) -> HTTPServerError {
            HTTPServerError(serving: serving, address: "\(address)", operation: operation, reason: String(cString: strerror(code)))
        }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, "\(address.port)", &hints, &found)
        guard status == 0, let info = found else {
            throw HTTPServerError(serving: serving, address: "\(address)", operation: "resolve", reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(found) }
        let descriptor = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw failure("socket", errno) }
        var one: Int32 = 1
        // A restarted stage binds its port again at once, without waiting out the old connections' TIME_WAIT.
        _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw failure("bind", code)
        }
        guard Glibc.listen(descriptor, 16) == 0, fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK) == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw failure("listen", code)
        }
        return (descriptor, HTTPAddress(host: address.host, port: boundPort(descriptor) ?? address.port))
    }

    private static func boundPort(_ descriptor: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard status == 0 else { return nil }
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { pointer -> Int? in
            switch family {
            case AF_INET: return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            case AF_INET6: return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            default: return nil
            }
        }
    }
}
