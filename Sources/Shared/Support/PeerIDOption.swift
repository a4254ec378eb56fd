extension ParsedArguments {
    /// A node or worker id option, checked with `PeerRoute.isValid`.
    public func peerID(_ name: String, default fallback: String) throws(CommandLineError) -> String {
        let id = value(name) ?? fallback
        guard PeerRoute.isValid(id) else { throw .invalidValue(option: name, value: id, expected: PeerRoute.validityRule) }
        return id
    }
}
