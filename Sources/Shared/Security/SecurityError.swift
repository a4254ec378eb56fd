/// Why a process will not start securely, or refused what it was given; one line naming the problem.
public enum SecurityError: Error, Equatable, CustomStringConvertible {
    case unreadableKeyFile(path: String, reason: String)
    case malformedKeyFile(path: String, reason: String)
    /// A secret key file that others could read: it is refused rather than used.
    case secretKeyExposed(path: String, mode: UInt32)
    case keyFileExists(path: String)
    case unreadableAllowList(path: String, reason: String)
    /// A tcp:// endpoint without keys and without `--insecure`.
    case plaintextRefused(endpoint: String)
    /// A CURVE client without the server's public key, or a server without an allow-list.
    case missingKey(option: String, needed: String)
    case curveUnavailable

    public var description: String {
        switch self {
        case let .unreadableKeyFile(path, reason): return "cannot read key file \(path): \(reason)"
        case let .malformedKeyFile(path, reason): return "key file \(path) is not a CURVE certificate: \(reason)"
        case let .secretKeyExposed(path, mode):
            return "secret key file \(path) is readable by group or others (mode \(String(mode & 0o777, radix: 8))); chmod 600 it"
        case let .keyFileExists(path): return "key file \(path) exists already; remove it first or pick another name"
        case let .unreadableAllowList(path, reason): return "cannot read the allow-list folder \(path): \(reason)"
        case let .plaintextRefused(endpoint):
            return "\(endpoint) would carry plaintext: give this stage its keys (--secret-key ...) or pass --insecure"
        case let .missingKey(option, needed): return "CURVE needs \(needed): pass --\(option)"
        case .curveUnavailable: return "this libzmq was built without CURVE (zmq_has(\"curve\") is false); install a libzmq with libsodium"
        }
    }
}
