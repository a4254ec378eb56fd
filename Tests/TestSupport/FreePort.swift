import Shared

/// A TCP port nothing listens on now (bound and released at once).
public func freePort() throws -> Int {
    let context = try Context()
    defer { context.close() }
    let socket = try context.socket(.router)
    defer { socket.close() }
    let endpoint = try socket.bind("tcp://127.0.0.1:*")
    return Int(endpoint.split(separator: ":").last ?? "") ?? 0
}
