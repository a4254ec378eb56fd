/// One stage as a Kubernetes cluster runs it: the edge side only (broker, workers, sink). Cameras are
/// devices outside the cluster; their encoders reach the listeners they link to through a LoadBalancer
/// Service (`external`).
public struct ClusterWorkload: Sendable, Equatable {
    /// An allow-list folder and the Secret that fills it.
    public struct AllowList: Sendable, Equatable {
        public var folder: String
        public var secret: String

        public init(folder: String, secret: String) {
            self.folder = folder
            self.secret = secret
        }
    }

    /// The stage's first replica: a Deployment's replicas all run its command.
    public var service: DeployPlan.Service
    public var replicas: Int
    /// The listeners services outside the cluster (the cameras) link to.
    public var external: [Listener]
    /// The Secret holding the key files (`<stage>-keys`), `nil` for a plaintext stage.
    public var keySecret: String?
    public var allowLists: [AllowList]

    public var name: String { service.stage }
    public var externalServiceName: String { name + "-external" }
}

extension DeployPlan {
    /// The stages a cluster runs, in the topology's order, checked for what a Deployment can do.
    public func clusterWorkloads() throws(DeployError) -> [ClusterWorkload] {
        let inCluster = services.filter { !$0.role.runsOnCamera }
        var workloads: [ClusterWorkload] = []
        for first in inCluster where first.index == 1 {
            let replicas = inCluster.filter { $0.stage == first.stage }
            if let other = replicas.first(where: { $0.command != first.command }) {
                throw .unsupported(
                    stage: first.stage,
                    reason: "its replicas run different commands ({index}: \(other.name)); a Deployment's replicas all run one, so leave {index} out")
            }
            if first.replicas > 1 && (first.role == .broker || first.role == .sink) {
                throw .unsupported(
                    stage: first.stage, reason: "has \(first.replicas) replicas; one Service in front of several would split the pipeline, so run one"
                )
            }
            for link in first.links {
                guard let target = services.first(where: { $0.name == link.service }), !target.role.runsOnCamera else {
                    throw .unsupported(stage: first.stage, reason: "links to '\(link.service)', which runs on a camera, outside the cluster")
                }
            }
            if let peer = socketPeers(of: first).first {
                throw .unsupported(stage: first.stage, reason: "shares an ipc:// socket with '\(peer.name)', and pods share none; link over tcp://")
            }
            let cameraLinks = services.filter(\.role.runsOnCamera).flatMap(\.links).filter { $0.service == first.name }
            let external = first.listeners.filter { listener in cameraLinks.contains { $0.port == listener.port } }
            var workload = ClusterWorkload(service: first, replicas: first.replicas, external: external, keySecret: nil, allowLists: [])
            if !external.isEmpty { try DeployPlan.checkName(workload.externalServiceName, kind: "Service") }
            if let keys = first.keys {
                if !keys.files.isEmpty {
                    workload.keySecret = first.stage + "-keys"
                    try DeployPlan.checkName(first.stage + "-keys", kind: "Secret")
                }
                for folder in keys.allowLists {
                    try DeployPlan.checkName(folder, kind: "allow-list folder")
                    try DeployPlan.checkName(first.stage + "-" + folder, kind: "Secret")
                    workload.allowLists.append(ClusterWorkload.AllowList(folder: folder, secret: first.stage + "-" + folder))
                }
            }
            workloads.append(workload)
        }
        return workloads
    }
}
