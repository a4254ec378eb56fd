import Foundation
import Shared

/// What a request to the viewer asks for, from its request head (rules apart from sockets).
public struct ViewerRequest: Equatable, Sendable {
    public enum Resource: Equatable, Sendable {
        case page
        case events
        case state
        /// `/frame/<percent-encoded node id>.png`
        case frame(node: String)
        case notFound
        case notAllowed(allowed: [String])
        case badRequest
    }

    public let resource: Resource
    /// HEAD: answer the headers only.
    public let omitsBody: Bool

    public init(_ head: [UInt8]) {
        guard let request = HTTPRequestLine(head) else {
            (resource, omitsBody) = (.badRequest, false)
            return
        }
        let resource = Self.resource(request.path)
        // An event stream is only ever read whole; the other resources answer HEAD too.
        let allowed = resource == .events ? ["GET"] : ["GET", "HEAD"]
        self.resource = resource == .notFound || allowed.contains(request.method) ? resource : .notAllowed(allowed: allowed)
        omitsBody = request.method == "HEAD"
    }

    private static func resource(_ path: String) -> Resource {
        switch path {
        case "/", "/index.html": return .page
        case "/events": return .events
        case "/state.json": return .state
        default:
            guard path.hasPrefix("/frame/"), path.hasSuffix(".png") else { return .notFound }
            let encoded = path.dropFirst("/frame/".count).dropLast(".png".count)
            guard !encoded.isEmpty, let node = String(encoded).removingPercentEncoding, !node.isEmpty, node.utf8.count <= 1024 else {
                return .notFound
            }
            return .frame(node: node)
        }
    }
}
