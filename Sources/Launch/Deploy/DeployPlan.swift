import Shared

/// A topology made deployable: every replica of every stage as a service, with the host it runs on, its
/// command (templates expanded as the launcher expands them), the ports it listens on for other hosts
/// (read from its own endpoint options), the tcp:// links it opens (each checked against a listener of
/// the service it names), its ipc:// sockets (checked to stay on one host), its camera device and its
/// key folder. ComposeRenderer and KubernetesRenderer write what the plan says and decide nothing else.
///
/// A link names the service it reaches by name: `--edge tcp://edge:5555` reaches the service `edge`,
/// which must listen on 5555 on any address (`--frontend tcp://*:5555`). On one compose host or in a
/// cluster that name resolves as it is; across hosts compose maps it to the host's address.
public struct DeployPlan: Sendable {
    /// The image's working directory (the Dockerfile's WORKDIR): relative paths start there.
    public static let workingDirectory = "/opt/ladon"
    /// What `{tmp}` becomes: a folder the services of one host share for their ipc:// sockets.
    public static let scratchFolder = "/run/ladon"
    /// The image's user and group (the Dockerfile's `ladon`).
    public static let userID = 10001

    public struct Service: Sendable, Equatable {
        /// The launcher's name for this replica: the stage's, or `stage-index` with several replicas.
        public var name: String
        public var stage: String
        public var index: Int
        public var replicas: Int
        public var role: StageProgram.Role
        public var host: String
        /// The executable's name (found on the image's PATH) and the expanded arguments.
        public var command: [String]
        public var listeners: [Listener]
        public var links: [Link]
        public var ipcBinds: [String]
        public var ipcConnects: [String]
        /// Whether the arguments use `{tmp}`: the service needs its host's shared scratch folder.
        public var usesScratch: Bool
        /// Camera devices it opens (ingest's `--source /dev/...`).
        public var devices: [String]
        public var keys: KeyFolder?
    }

    /// The topology's path as given; the rendered files' headers name it.
    public var source: String
    /// The topology file's text, byte for byte (Kubernetes carries it in a ConfigMap).
    public var topologyText: String
    public var image: String
    public var graceSeconds: Double
    public var services: [Service]

    public init(_ topology: Topology, source: String, bytes: [UInt8]) throws(DeployError) {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .notText(path: source)
        }
        self.source = source
        topologyText = text
        image = topology.image ?? "ladon:\(LadonBuild.version)"
        graceSeconds = topology.graceSeconds
        var services: [Service] = []
        for stage in topology.stages {
            let program = try StageProgram.of(stage)
            try DeployPlan.checkName(stage.name, kind: "stage")
            for index in 1...stage.replicas {
                services.append(try DeployPlan.service(stage, index: index, program: program))
            }
        }
        self.services = services
        try checkLinks()
        try checkIPC()
        try checkPorts()
    }

    /// The services on `host`, in the topology's order.
    public func services(on host: String) -> [Service] { services.filter { $0.host == host } }

    /// Every host, in the order its first service appears.
    public var hosts: [String] {
        var seen: [String] = []
        for service in services where !seen.contains(service.host) { seen.append(service.host) }
        return seen
    }

    // MARK: One replica

    private static func service(_ stage: Topology.Stage, index: Int, program: StageProgram) throws(DeployError) -> Service {
        let name = stage.instanceName(index)
        try checkName(name, kind: "service")
        let host = Topology.expand(stage.host ?? name, index: index, scratch: scratchFolder)
        try checkName(host, kind: "host")
        let arguments = stage.arguments(index: index, scratch: scratchFolder)
        var service = Service(
            name: name, stage: stage.name, index: index, replicas: stage.replicas, role: program.role, host: host,
            command: [program.command[0]] + arguments, listeners: [], links: [], ipcBinds: [], ipcConnects: [],
            usesScratch: stage.arguments.contains { $0.contains("{tmp}") }, devices: [],
            keys: try KeyFolder.of(arguments, service: name))
        for option in program.binds {
            guard let value = StageProgram.value(of: option, in: arguments) else { continue }
            switch Endpoint.zeroMQ(value) {
            case let .anyAddress(port): service.listeners.append(Listener(name: option, port: port, kind: .zeroMQ))
            case .loopback: break
            case let .ipc(path): service.ipcBinds.append(path)
            case .host, nil:
                throw .invalidEndpoint(
                    service: name, option: option, value: value,
                    expected: "tcp://*:PORT (any address, so other hosts reach it), a loopback address or ipc://PATH")
            }
        }
        for option in program.serves {
            guard let value = StageProgram.value(of: option, in: arguments) else { continue }
            switch Endpoint.address(value) {
            case let .anyAddress(port): service.listeners.append(Listener(name: option, port: port, kind: .http))
            case .loopback: break
            case .host, .ipc, nil:
                throw .invalidEndpoint(
                    service: name, option: option, value: value, expected: "0.0.0.0:PORT (a container's any address) or a loopback address")
            }
        }
        for option in program.connects {
            guard let value = StageProgram.value(of: option, in: arguments) else { continue }
            switch Endpoint.zeroMQ(value) {
            case let .host(target, port): service.links.append(Link(option: option, service: target, port: port))
            case let .ipc(path): service.ipcConnects.append(path)
            case .anyAddress, .loopback, nil:
                throw .invalidEndpoint(
                    service: name, option: option, value: value,
                    expected: "tcp://SERVICE:PORT naming the service it reaches (a container's own addresses reach only itself), or ipc://PATH")
            }
        }
        if program.role == .ingest, let source = StageProgram.value(of: "source", in: arguments) {
            let device = source.hasPrefix("v4l2:") ? String(source.dropFirst(5)) : source
            if device.hasPrefix("/dev/") { service.devices.append(device) }
        }
        return service
    }

    // MARK: Rules across services

    /// Each tcp:// link names a service with a ZeroMQ listener on that port.
    private func checkLinks() throws(DeployError) {
        for service in services {
            for link in service.links {
                let endpoint = "tcp://\(link.service):\(link.port)"
                guard let target = services.first(where: { $0.name == link.service }) else {
                    throw .unreachable(
                        service: service.name, option: link.option, endpoint: endpoint,
                        reason: "no service is named '\(link.service)' (there are \(services.map(\.name).joined(separator: ", ")))")
                }
                guard let listener = target.listeners.first(where: { $0.port == link.port }), listener.kind == .zeroMQ else {
                    let ports = target.listeners.filter { $0.kind == .zeroMQ }.map { "\($0.port) (--\($0.name))" }
                    throw .unreachable(
                        service: service.name, option: link.option, endpoint: endpoint,
                        reason: "'\(target.name)' listens on no ZeroMQ port \(link.port) for other hosts"
                            + (ports.isEmpty ? "" : " (it listens on \(ports.joined(separator: ", ")))"))
                }
            }
        }
    }

    /// Each ipc:// connect is bound by a service on the same host, in the scratch folder (`{tmp}`): the one
    /// folder the containers of a host share (a Unix socket crosses neither machines nor containers).
    private func checkIPC() throws(DeployError) {
        for service in services {
            for path in service.ipcConnects {
                let endpoint = "ipc://\(path)"
                guard let binder = services(on: service.host).first(where: { $0.ipcBinds.contains(path) }) else {
                    let elsewhere = services.first { $0.ipcBinds.contains(path) }
                    throw .unsharedSocket(
                        service: service.name, endpoint: endpoint, host: service.host,
                        reason: elsewhere.map { "'\($0.name)' binds it on host '\($0.host)'; give both stages one \"host\"" }
                            ?? "no service on its host binds it")
                }
                if binder.name != service.name && !path.hasPrefix(DeployPlan.scratchFolder + "/") {
                    throw .unsharedSocket(
                        service: service.name, endpoint: endpoint, host: service.host,
                        reason: "containers share only the scratch folder; name the socket ipc://{tmp}/NAME")
                }
            }
        }
    }

    /// The other services of `service`'s host it shares an ipc:// socket with.
    public func socketPeers(of service: Service) -> [Service] {
        services(on: service.host).filter { other in
            other.name != service.name
                && (other.ipcBinds.contains(where: service.ipcConnects.contains) || service.ipcBinds.contains(where: other.ipcConnects.contains))
        }
    }

    /// No two services of one host listen on one port (both would publish it).
    private func checkPorts() throws(DeployError) {
        for host in hosts {
            var owners: [Int: String] = [:]
            for service in services(on: host) {
                for listener in service.listeners {
                    if let owner = owners[listener.port], owner != service.name {
                        throw .portTaken(host: host, port: listener.port, services: [owner, service.name])
                    }
                    owners[listener.port] = service.name
                }
            }
        }
    }

    /// A name Kubernetes, compose profiles and volumes all take: an RFC 1123 label.
    static func checkName(_ name: String, kind: String) throws(DeployError) {
        let isAlphanumeric = { (c: Character) in ("a"..."z").contains(c) || ("0"..."9").contains(c) }
        guard (1...63).contains(name.count), name.allSatisfy({ isAlphanumeric($0) || $0 == "-" }),
            let first = name.first, let last = name.last, isAlphanumeric(first), isAlphanumeric(last)
        else { throw .invalidName(kind: kind, name: name) }
    }
}
