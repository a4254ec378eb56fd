/// A topology `ladon-launch deploy` cannot turn into deploy files; one line naming the stage and the problem.
public enum DeployError: Error, Equatable, CustomStringConvertible {
    /// The stage runs a program deploy knows no ports and links for.
    case unknownProgram(stage: String, command: String)
    /// A stage, service or host name that cannot name a container, a Kubernetes object or a compose profile.
    case invalidName(kind: String, name: String)
    /// An endpoint option whose value is not an endpoint of the kind the option takes.
    case invalidEndpoint(service: String, option: String, value: String, expected: String)
    /// A tcp:// link whose host and port are not a port another service listens on.
    case unreachable(service: String, option: String, endpoint: String, reason: String)
    /// An ipc:// link that no service on the same host binds in the folder the host's services share.
    case unsharedSocket(service: String, endpoint: String, host: String, reason: String)
    /// Two services on one host that publish the same port.
    case portTaken(host: String, port: Int, services: [String])
    /// Key options whose files are not laid out as one folder per stage.
    case keyLayout(service: String, reason: String)
    /// A stage the rendering cannot run as the topology asks.
    case unsupported(stage: String, reason: String)
    /// The topology file is not UTF-8 text, so no ConfigMap could carry it byte for byte.
    case notText(path: String)

    public var description: String {
        switch self {
        case let .unknownProgram(stage, command):
            return "stage '\(stage)' runs '\(command)'; deploy places ladon-ingest, ladon-encoder run, ladon-edge serve, "
                + "ladon-edge worker and ladon-sink serve"
        case let .invalidName(kind, name):
            return "\(kind) name '\(name)' is not a DNS label (lowercase letters, digits and '-', at most 63, a letter or digit at each end)"
        case let .invalidEndpoint(service, option, value, expected):
            return "\(service) --\(option) '\(value)': expected \(expected)"
        case let .unreachable(service, option, endpoint, reason):
            return "\(service) --\(option) \(endpoint): \(reason)"
        case let .unsharedSocket(service, endpoint, host, reason):
            return "\(service) on host '\(host)' connects to \(endpoint): \(reason)"
        case let .portTaken(host, port, services):
            return "host '\(host)': port \(port) is published by \(services.joined(separator: " and "))"
        case let .keyLayout(service, reason):
            return "\(service): \(reason)"
        case let .unsupported(stage, reason):
            return "stage '\(stage)': \(reason)"
        case let .notText(path):
            return "topology \(path) is not UTF-8 text"
        }
    }
}
