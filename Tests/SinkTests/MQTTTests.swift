import Foundation
import LadonSink
import Shared
import TestSupport
import Testing

/// MQTT: the event rules without a broker, then the sink against a real mosquitto broker read by
/// mosquitto_sub (Debian's mosquitto and mosquitto-clients), including a broker restart mid-run.
@Suite(.serialized) struct MQTTTests {
    static func result(_ sequence: UInt64, _ names: [String], node: String = "cam-m", error: String? = nil) -> ResultMessage {
        var result = ResultMessage(
            header: FrameHeader(nodeID: node, sequence: sequence, captureTimeMicroseconds: 1_000 * Int64(sequence)),
            model: ModelIdentity(backbone: "resnet50", beta: 1.28, weightsHash: 3), originalSize: ImageSize(height: 2, width: 2),
            tasks: TaskResults(
                classification: Classification(top: [ClassScore(classIndex: 1, name: "cat", probability: 0.5)]),
                detections: names.map { DetectedObject(box: Box(x1: 0, y1: 0, x2: 1, y2: 1), label: 1, name: $0, score: 0.8) }),
            timings: [], latentBytes: 100)
        result.error = error
        return result
    }

    @Test func aClassIsNewWhenItAppearsUpdatedWhenItsCountChangesAndEndsAfterThreeFramesWithoutIt() {
        var events = ClassEvents()
        func kinds(_ sequence: UInt64, _ names: [String], error: String? = nil) -> [String] {
            events.observe(Self.result(sequence, names, error: error)).map { "\($0.kind.rawValue) \($0.label) \($0.count)" }
        }
        #expect(kinds(1, ["car"]) == ["new car 1"])
        #expect(kinds(2, ["car"]).isEmpty)
        #expect(kinds(3, ["car", "car", "dog"]) == ["update car 2", "new dog 1"])
        #expect(kinds(4, ["car", "car"]).isEmpty, "one frame without the dog does not end it")
        #expect(kinds(5, [], error: "no edge worker available").isEmpty, "an error Result says nothing")
        #expect(kinds(6, ["car", "car"]).isEmpty)
        #expect(kinds(7, ["car", "car"]) == ["end dog 0"])
        #expect(kinds(8, ["dog"]) == ["new dog 1"], "the cars are missed once: no event for them yet")
    }

    @Test func eachResultGoesOutOnItsTasksTopicsRetainedAndItsEventsNot() throws {
        var results = MQTTResults(prefix: "ladon")
        let messages = results.messages(for: Self.result(1, ["car"]))
        #expect(messages.map(\.topic) == ["ladon/cam-m/all", "ladon/cam-m/classification", "ladon/cam-m/detection", "ladon/cam-m/events"])
        #expect(messages.map(\.retain) == [true, true, true, false])
        let detection = try #require(try JSONSerialization.jsonObject(with: messages[2].payload) as? [String: Any])
        #expect(detection["classification"] == nil && (detection["detection"] as? [Any])?.count == 1)
        #expect((detection["frame"] as? [String: Any])?["sequence"] as? Int == 1)
        let event = try #require(try JSONSerialization.jsonObject(with: messages[3].payload) as? [String: Any])
        #expect(event["type"] as? String == "new" && event["label"] as? String == "car")
    }

    enum BrokerError: Error { case notListening(port: Int, log: String) }

    /// mosquitto on a free loopback port, and mosquitto_sub printing `topic payload` lines.
    final class Broker {
        let port: Int
        let folder: URL
        private(set) var process: ChildProcess

        init(folder: URL) throws {
            port = try freePort()
            self.folder = folder
            process = try Self.start(port, folder)
        }

        static func start(_ port: Int, _ folder: URL) throws -> ChildProcess {
            let process = try ChildProcess("mosquitto", ["-p", "\(port)"], logs: folder, systemPath: "/usr/sbin/mosquitto")
            // mosquitto_sub gives up on a refused connection: wait until the broker listens (a busy machine is slow).
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if let probe = try? HTTPClient(port: port) {
                    probe.close()
                    return process
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            throw BrokerError.notListening(port: port, log: process.standardError)
        }

        func restart() throws {
            process.stop()
            process = try Self.start(port, folder)
        }

        func subscribe(_ topic: String, count: Int? = nil) throws -> ChildProcess {
            try ChildProcess(
                "mosquitto_sub", ["-h", "127.0.0.1", "-p", "\(port)", "-t", topic, "-v"] + (count.map { ["-C", "\($0)"] } ?? []),
                logs: folder, systemPath: "/usr/bin/mosquitto_sub")
        }
    }

    @Test func theSinkPublishesToARealBrokerAndCarriesOnWhenTheBrokerRestarts() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/sbin/mosquitto"), "install mosquitto and mosquitto-clients (./dev does)")
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let broker = try Broker(folder: edge.folder)
        defer { broker.process.stop() }
        let sink = try edge.start(
            "ladon-sink", ["serve", "--results", edge.results, "--publish", edge.publish, "--mqtt", "127.0.0.1:\(broker.port)"])
        var watcher = try broker.subscribe("ladon/#")
        let push = try ResultPush(to: edge.results)
        var sequence: UInt64 = 0
        /// Sends Results (cars, then nothing) until the watcher has printed `text` or 20 s pass.
        func send(until text: String, names: () -> [String]) throws -> Bool {
            let deadline = Date().addingTimeInterval(20)
            while !watcher.standardOutput.contains(text) && Date() < deadline {
                sequence += 1
                try push.send(Self.result(sequence, names()))
                Thread.sleep(forTimeInterval: 0.1)
            }
            return watcher.standardOutput.contains(text)
        }
        // The car's "new" event is published once: first make sure the watcher's subscription is live (on a busy
        // machine mosquitto_sub can take longer to subscribe than the sink takes to publish).
        #expect(try send(until: "ladon/cam-m/all {") { [] }, "no Result reached the watcher\n\(sink.standardError)")
        #expect(try send(until: "\"type\":\"new\"") { ["car"] }, "\(watcher.standardOutput)\n\(sink.standardError)")
        #expect(try send(until: "\"type\":\"end\"") { [] }, "\(watcher.standardOutput)")
        let output = watcher.standardOutput
        for task in ["all", "classification", "detection", "events"] { #expect(output.contains("ladon/cam-m/\(task) {"), "\(task)") }

        // The broker restarts; the sink reconnects by itself and Results flow again.
        watcher.stop()
        try broker.restart()
        watcher = try broker.subscribe("ladon/cam-m/all")
        let before = sequence
        #expect(try send(until: "\"sequence\":\(before + 5)") { ["dog"] }, "no Result after the broker restarted\n\(sink.standardError)")
        watcher.stop()

        // A late subscriber gets the latest Result of each topic at once: it was retained.
        let late = try broker.subscribe("ladon/cam-m/detection", count: 1)
        let retained = late.wait(timeout: 10)
        #expect(retained.status == 0 && retained.output.contains("\"dog\""), "\(retained.output)\(retained.error)")

        sink.stop()
        let connects = number("connects", in: sink.standardOutput, line: "sink mqtt:") ?? 0
        #expect(connects >= 2, "\(sink.standardOutput)")
    }

    /// examples/mqtt_client.py (paho-mqtt) follows what the sink publishes on the broker.
    @Test func thePythonClientPrintsTheDetectionsTheSinkPublishes() throws {
        let python = ProcessInfo.processInfo.environment["LADON_PYTHON"] ?? "/usr/bin/python3"
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let broker = try Broker(folder: edge.folder)
        defer { broker.process.stop() }
        _ = try edge.start("ladon-sink", ["serve", "--results", edge.results, "--publish", edge.publish, "--mqtt", "127.0.0.1:\(broker.port)"])
        let client = try ChildProcess(
            "mqtt_client",
            [
                repository.appendingPathComponent("examples/mqtt_client.py").path, "--broker", "127.0.0.1:\(broker.port)",
                "--topic", "ladon/cam-m/detection", "--count", "3", "--timeout", "30",
            ], logs: edge.folder, systemPath: python)
        defer { client.stop() }
        let push = try ResultPush(to: edge.results)
        var sequence: UInt64 = 0
        let deadline = Date().addingTimeInterval(40)
        while client.isRunning && Date() < deadline {
            sequence += 1
            try push.send(Self.result(sequence, ["car", "truck"]))
            Thread.sleep(forTimeInterval: 0.1)
        }
        let outcome = client.wait(timeout: 5)
        #expect(outcome.status == 0, "\(outcome.error)")
        let lines = outcome.output.split(separator: "\n")
        #expect(lines.count == 3, "\(outcome.output)")
        #expect(lines.allSatisfy { $0.hasPrefix("cam-m detection #") && $0.hasSuffix(": car 0.80, truck 0.80") }, "\(outcome.output)")
    }
}
