/// A CurveZMQ key (a Curve25519 public or secret key): 32 bytes, written as 40 Z85 characters in key
/// files and ZAP requests. Its description never shows the key itself.
public struct CurveKey: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    public var description: String { "CurveKey" }
}

/// CurveZMQ as libzmq provides it (the functions live beside the rest of libzmq in ZeroMQ.swift).
public enum Curve {}
