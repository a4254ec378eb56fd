import Foundation
import LadonLaunch
import Testing

/// A small plaintext layout: sink and edge on hosts of their own, three workers, two cameras of an
/// ingest and an encoder each. `replace` swaps one fragment of it for a variant.
func smallTopology(replacing replacements: [(String, String)] = []) -> String {
    var json = """
        {"grace_seconds": 2.5, "stages": [
          {"name": "sink", "executable": "ladon-sink", "arguments": ["serve", "--results", "tcp://*:5557", "--publish", "tcp://0.0.0.0:5558",
            "--metrics", "127.0.0.1:9104", "--insecure"]},
          {"name": "edge", "executable": "ladon-edge", "arguments": ["serve", "--model", "m", "--frontend", "tcp://*:5555",
            "--backend=tcp://*:5556", "--sink", "tcp://sink:5557", "--metrics", "0.0.0.0:9103", "--insecure"]},
          {"name": "worker", "executable": "/usr/local/bin/ladon-edge", "replicas": 3, "host": "gpu-{index}",
            "arguments": ["worker", "--model", "m", "--connect", "tcp://edge:5556", "--insecure"]},
          {"name": "encoder", "executable": "ladon-encoder", "replicas": 2, "host": "cam-{index}",
            "arguments": ["run", "--model", "m", "--ingest", "ipc://{tmp}/in", "--edge", "tcp://edge:5555", "--node-id", "cam-{index}", "--insecure"]},
          {"name": "ingest", "executable": "ladon-ingest", "replicas": 2, "host": "cam-{index}",
            "arguments": ["--source", "v4l2:/dev/video2", "--connect", "ipc://{tmp}/in", "--node-id", "cam-{index}"]}
        ]}
        """
    for (old, new) in replacements {
        precondition(json.contains(old), "the small topology has no '\(old)'")
        json = json.replacingOccurrences(of: old, with: new)
    }
    return json
}

func plan(_ json: String) throws -> DeployPlan {
    let bytes = Array(json.utf8)
    return try DeployPlan(Topology.parse(bytes, path: "test.json"), source: "test.json", bytes: bytes)
}

/// The DeployError `json` is refused with; `nil` when it is planned (and its cluster workloads made).
func refusal(_ json: String) throws -> DeployError? {
    do {
        _ = try plan(json).clusterWorkloads()
        return nil
    } catch let error as DeployError {
        return error
    }
}

@Suite struct DeployPlanTests {
    @Test("ports come from each stage's own bind and HTTP options; loopback listeners are not published")
    func portsAreDerivedFromTheStagesOwnOptions() throws {
        let plan = try plan(smallTopology())
        let ports = { (name: String) in plan.services.first { $0.name == name }?.listeners ?? [] }
        #expect(
            ports("sink") == [Listener(name: "results", port: 5557, kind: .zeroMQ), Listener(name: "publish", port: 5558, kind: .zeroMQ)],
            "--metrics on 127.0.0.1 stays inside the container")
        #expect(
            ports("edge") == [
                Listener(name: "frontend", port: 5555, kind: .zeroMQ), Listener(name: "backend", port: 5556, kind: .zeroMQ),
                Listener(name: "metrics", port: 9103, kind: .http),
            ])
        #expect(ports("encoder-1").isEmpty, "an ipc:// ingest endpoint is no port")
        #expect(ports("worker-2").isEmpty)
    }

    @Test("replicas expand {index} in arguments and host and are named as the launcher names its children")
    func replicasExpandAsTheLauncherExpandsThem() throws {
        let plan = try plan(smallTopology())
        #expect(plan.services.map(\.name) == ["sink", "edge", "worker-1", "worker-2", "worker-3", "encoder-1", "encoder-2", "ingest-1", "ingest-2"])
        #expect(plan.hosts == ["sink", "edge", "gpu-1", "gpu-2", "gpu-3", "cam-1", "cam-2"], "a stage without \"host\" gets one per replica")
        let encoder = try #require(plan.services.first { $0.name == "encoder-2" })
        #expect(encoder.host == "cam-2")
        #expect(
            encoder.command == [
                "ladon-encoder", "run", "--model", "m", "--ingest", "ipc:///run/ladon/in", "--edge", "tcp://edge:5555", "--node-id", "cam-2",
                "--insecure",
            ])
        let topology = try Topology.parse(Array(smallTopology().utf8), path: "test.json")
        let stage = try #require(topology.stages.first { $0.name == "encoder" })
        #expect(
            encoder.command.dropFirst().elementsEqual(stage.arguments(index: 2, scratch: DeployPlan.scratchFolder)), "the launcher's own expansion")
        #expect(encoder.usesScratch && plan.services.first { $0.name == "ingest-2" }?.devices == ["/dev/video2"])
        #expect(plan.services.first { $0.name == "worker-1" }?.command.first == "ladon-edge", "the executable's name, found on the image's PATH")
    }

    @Test("a worker joins the broker with --connect tcp://<broker service>:<backend port>, in compose and as a Deployment")
    func aWorkerJoinsTheBrokersBackendByItsServiceName() throws {
        let plan = try plan(smallTopology())
        let worker = try #require(plan.services.first { $0.name == "worker-3" })
        #expect(worker.links == [Link(option: "connect", service: "edge", port: 5556)])
        let workloads = try plan.clusterWorkloads()
        #expect(workloads.map(\.name) == ["sink", "edge", "worker"], "cameras run outside the cluster")
        let deployment = try #require(workloads.first { $0.name == "worker" })
        #expect(deployment.replicas == 3)
        let arguments = Array(deployment.service.command.dropFirst())
        #expect(StageProgram.value(of: "connect", in: arguments) == "tcp://edge:5556")
        let edge = try #require(try KubernetesRenderer.render(plan).first { $0.name == "edge.yaml" })
        #expect(edge.text.contains("kind: Service\nmetadata:\n  name: edge\n"), "the Service the worker's host name resolves to")
        #expect(edge.text.contains("    - name: backend\n      protocol: TCP\n      port: 5556\n"))
        let compose = ComposeRenderer.render(plan)
        #expect(compose.contains("  worker-3:\n"), "\(compose)")
        #expect(compose.contains("      - \"edge:${LADON_EDGE_ADDRESS:-host-gateway}\"\n"), "the edge's host address across machines")
    }

    @Test("only the ports the cameras link to get a LoadBalancer Service")
    func cameraLinksMakeTheExternalService() throws {
        let workloads = try plan(smallTopology()).clusterWorkloads()
        #expect(workloads.first { $0.name == "edge" }?.external == [Listener(name: "frontend", port: 5555, kind: .zeroMQ)])
        #expect(workloads.first { $0.name == "sink" }?.external == [], "only the edge links to the sink")
    }

    @Test("a link to a port the service does not listen on names the service and the ports it has")
    func aLinkToAMissingPortIsRefused() throws {
        let error = try refusal(smallTopology(replacing: [("\"--connect\", \"tcp://edge:5556\"", "\"--connect\", \"tcp://edge:5557\"")]))
        #expect(
            error?.description
                == "worker-1 --connect tcp://edge:5557: 'edge' listens on no ZeroMQ port 5557 for other hosts (it listens on 5555 (--frontend), 5556 (--backend))"
        )
    }

    @Test("a link must name a service: loopback, any-address and unknown names are refused with what to write instead")
    func aLinkMustNameAService() throws {
        let loopback = try refusal(smallTopology(replacing: [("tcp://sink:5557", "tcp://127.0.0.1:5557")]))
        #expect(
            loopback?.description.hasPrefix("edge --sink 'tcp://127.0.0.1:5557': expected tcp://SERVICE:PORT naming the service it reaches") == true,
            "\(String(describing: loopback))")
        let unknown = try refusal(smallTopology(replacing: [("tcp://sink:5557", "tcp://results:5557")]))
        #expect(
            unknown?.description.hasPrefix("edge --sink tcp://results:5557: no service is named 'results' (there are sink, edge, worker-1") == true)
    }

    @Test("compose/local.json, a loopback topology, is refused naming its first loopback link")
    func theLoopbackDemoIsNotDeployable() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let bytes = try [UInt8](Data(contentsOf: root.appendingPathComponent("compose/local.json")))
        do {
            _ = try DeployPlan(Topology.parse(bytes, path: "local.json"), source: "local.json", bytes: bytes)
            Issue.record("compose/local.json was planned")
        } catch let error as DeployError {
            guard case let .invalidEndpoint(service, option, value, _) = error else {
                Issue.record("refused for another reason: \(error)")
                return
            }
            #expect([service, option, value] == ["edge", "sink", "tcp://127.0.0.1:5557"])
        }
    }

    @Test("an ipc:// link crosses no host, and between containers it must lie in the shared {tmp} folder")
    func ipcLinksStayOnOneHostInTheScratchFolder() throws {
        let split = try refusal(
            smallTopology(replacing: [
                ("\"ladon-ingest\", \"replicas\": 2, \"host\": \"cam-{index}\"", "\"ladon-ingest\", \"replicas\": 2, \"host\": \"usb-{index}\"")
            ]))
        #expect(
            split
                == .unsharedSocket(
                    service: "ingest-1", endpoint: "ipc:///run/ladon/in", host: "usb-1",
                    reason: "'encoder-1' binds it on host 'cam-1'; give both stages one \"host\""))
        let outside = try refusal(smallTopology(replacing: [("ipc://{tmp}/in", "ipc:///tmp/in")]))
        #expect(
            outside?.description
                == "ingest-1 on host 'cam-1' connects to ipc:///tmp/in: containers share only the scratch folder; name the socket ipc://{tmp}/NAME")
    }

    @Test("two services of one host publishing one port are refused")
    func onePortPerHost() throws {
        let error = try refusal(
            smallTopology(replacing: [
                ("\"name\": \"edge\", \"executable\"", "\"name\": \"edge\", \"host\": \"sink\", \"executable\""),
                ("tcp://0.0.0.0:5558", "tcp://0.0.0.0:5556"),
            ]))
        #expect(error == .portTaken(host: "sink", port: 5556, services: ["sink", "edge"]))
    }

    @Test("a program deploy knows no ports for, and names no label can carry, are refused")
    func unknownProgramsAndBadNamesAreRefused() throws {
        let program = try refusal(
            smallTopology(replacing: [
                ("\"executable\": \"ladon-sink\", \"arguments\": [\"serve\"", "\"executable\": \"ladon-sink\", \"arguments\": [\"subscribe\"")
            ]))
        #expect(program == .unknownProgram(stage: "sink", command: "ladon-sink subscribe"))
        let name = try refusal(smallTopology(replacing: [("\"host\": \"gpu-{index}\"", "\"host\": \"GPU_{index}\"")]))
        #expect(name == .invalidName(kind: "host", name: "GPU_1"))
    }

    @Test("key options make one key folder: files side by side, allow-lists inside it; other layouts are refused")
    func keyOptionsMakeOneFolder() throws {
        let secure = smallTopology(replacing: [
            (
                "\"--metrics\", \"0.0.0.0:9103\", \"--insecure\"",
                "\"--metrics\", \"0.0.0.0:9103\", \"--secret-key\", \"./keys/edge.key_secret\", \"--allow-nodes\", \"keys/allow-nodes/\", \"--sink-key\", \"keys/sink.key\""
            )
        ])
        let edge = try #require(try plan(secure).services.first { $0.name == "edge" })
        #expect(edge.keys == KeyFolder(path: "keys", files: ["edge.key_secret", "sink.key"], allowLists: ["allow-nodes"]))
        #expect(edge.keys?.containerPath == "/opt/ladon/keys")
        let workload = try #require(try plan(secure).clusterWorkloads().first { $0.name == "edge" })
        #expect(
            workload.keySecret == "edge-keys" && workload.allowLists == [ClusterWorkload.AllowList(folder: "allow-nodes", secret: "edge-allow-nodes")]
        )

        let scattered = try refusal(secure.replacingOccurrences(of: "keys/sink.key", with: "certs/sink.key"))
        #expect(
            scattered
                == .keyLayout(
                    service: "edge", reason: "its key files are in more than one folder (keys, certs); deploy mounts one folder per service"))
        let deep = try refusal(secure.replacingOccurrences(of: "keys/allow-nodes/", with: "keys/lists/nodes"))
        #expect(deep == .keyLayout(service: "edge", reason: "--allow-nodes keys/lists/nodes is not a folder directly inside its key folder keys"))
        let bare = try refusal(secure.replacingOccurrences(of: "./keys/edge.key_secret", with: "edge.key_secret"))
        #expect(bare?.description.hasPrefix("edge: its key files need a folder of their own") == true)
    }

    @Test("a cluster stage whose replicas differ, or a broker with replicas, is refused for Kubernetes and fine for compose")
    func whatADeploymentCannotRun() throws {
        let indexed = smallTopology(replacing: [
            ("\"--connect\", \"tcp://edge:5556\", \"--insecure\"", "\"--connect\", \"tcp://edge:5556\", \"--id\", \"gpu-{index}\", \"--insecure\"")
        ])
        #expect(try plan(indexed).services.count == 9)
        let error = try refusal(indexed)
        #expect(
            error?.description.hasPrefix("stage 'worker': its replicas run different commands ({index}: worker-2)") == true,
            "\(String(describing: error))")
        let brokers = try refusal(
            smallTopology(replacing: [
                ("\"name\": \"sink\", \"executable\"", "\"name\": \"sink\", \"replicas\": 2, \"executable\""),
                ("tcp://sink:5557", "tcp://sink-1:5557"),
            ]))
        #expect(brokers?.description.hasPrefix("stage 'sink': has 2 replicas") == true, "\(String(describing: brokers))")
    }

    @Test("the sink's HTTP viewer port is published and served only when its arguments have --http")
    func theViewerPortFollowsHTTP() throws {
        let without = try plan(smallTopology())
        #expect(!ComposeRenderer.render(without).contains("8080"))
        #expect(try !KubernetesRenderer.render(without).contains { $0.text.contains("name: http") })

        let viewer = try plan(
            smallTopology(replacing: [("\"--metrics\", \"127.0.0.1:9104\"", "\"--metrics\", \"127.0.0.1:9104\", \"--http=0.0.0.0:8080\"")]))
        #expect(viewer.services.first?.listeners.last == Listener(name: "http", port: 8080, kind: .http))
        #expect(
            ComposeRenderer.render(viewer).contains("      - \"${LADON_HTTP_ADDRESS:-127.0.0.1}:8080:8080\"\n"),
            "plaintext HTTP on loopback unless told otherwise")
        let sink = try #require(try KubernetesRenderer.render(viewer).first { $0.name == "sink.yaml" })
        #expect(sink.text.contains("            - name: http\n              containerPort: 8080\n"))
        #expect(sink.text.contains("    - name: http\n      protocol: TCP\n      port: 8080\n"))
    }

    @Test("the ConfigMap carries the topology file byte for byte")
    func theConfigMapCarriesTheTopologyBytes() throws {
        let json = smallTopology() + "\n"
        let manifest = try #require(try KubernetesRenderer.render(plan(json)).first { $0.name == "topology.yaml" })
        let lines = manifest.text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex(of: "  topology.json: |"))
        // The literal block: every following line indented by four spaces (empty lines are empty), to the end.
        let block = lines[(start + 1)...].dropLast().map { $0.isEmpty ? "" : String($0.dropFirst(4)) }
        #expect(lines[(start + 1)...].dropLast().allSatisfy { $0.isEmpty || $0.hasPrefix("    ") })
        #expect(block.joined(separator: "\n") + "\n" == json)
    }

    @Test("the topology's grace period becomes compose's stop_grace_period and the pods' termination grace")
    func gracePeriodCarriesOver() throws {
        let plan = try plan(smallTopology())
        #expect(ComposeRenderer.render(plan).contains("    stop_grace_period: \"2500ms\"\n"))
        #expect(
            try KubernetesRenderer.render(plan).allSatisfy { $0.name == "topology.yaml" || $0.text.contains("terminationGracePeriodSeconds: 3\n") })
    }
}
