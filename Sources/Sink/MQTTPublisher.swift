internal import CMosquitto
import Foundation
import Shared
import Synchronization

/// A connection to an MQTT broker through libmosquitto's threaded client: it connects in the
/// background, reconnects by itself after the broker restarts (1 s, doubling to 8 s), and `publish`
/// never blocks the sink. While it is disconnected a publish fails and is counted (`dropped`), so the
/// sink's own loop and its other outputs carry on; what is retained on the broker is the newest per topic.
public final class MQTTPublisher: @unchecked Sendable {
    public enum MQTTError: Error, CustomStringConvertible {
        case setUp(reason: String)

        public var description: String {
            switch self {
            case let .setUp(reason): "MQTT: \(reason)"
            }
        }
    }

    public struct Counts: Sendable, Equatable {
        public var published = 0
        public var dropped = 0
        public var connects = 0
    }

    public let host: String
    public let port: Int
    private let client: OpaquePointer
    private let state = Mutex(Counts())

    private static let libraryReady: Bool = {
        mosquitto_lib_init()
        return true
    }()

    /// `address`: HOST:PORT. Connecting goes on in the background; `publish` before it succeeds is dropped.
    public init(address: String, clientID: String) throws(MQTTError) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port),
            colon > address.startIndex
        else { throw .setUp(reason: "'\(address)' is not HOST:PORT") }
        _ = Self.libraryReady
        host = String(address[..<colon])
        self.port = port
        guard let client = mosquitto_new(clientID, true, nil) else { throw .setUp(reason: "cannot make a client") }
        self.client = client
        mosquitto_user_data_set(client, Unmanaged.passUnretained(self).toOpaque())
        mosquitto_connect_callback_set(client) { _, data, code in
            guard code == 0, let data else { return }
            Unmanaged<MQTTPublisher>.fromOpaque(data).takeUnretainedValue().state.withLock { $0.connects += 1 }
        }
        mosquitto_reconnect_delay_set(client, 1, 8, true)
        // A refused first connection is retried by the loop thread like a lost one.
        _ = mosquitto_connect_async(client, host, Int32(port), 10)
        guard mosquitto_loop_start(client) == MOSQ_ERR_SUCCESS.rawValue else {
            mosquitto_destroy(client)
            throw .setUp(reason: "cannot start the client's thread")
        }
    }

    deinit { close() }

    private let closed = Atomic<Bool>(false)

    /// Disconnects and stops the client's thread. Idempotent.
    public func close() {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        mosquitto_disconnect(client)
        mosquitto_loop_stop(client, false)
        mosquitto_destroy(client)
    }

    /// Queues one message; `false` (and counted as dropped) when the client is not connected.
    @discardableResult
    public func publish(_ topic: String, _ payload: Data, qos: Int32 = 1, retain: Bool = false) -> Bool {
        let code = payload.withUnsafeBytes { bytes in
            mosquitto_publish(client, nil, topic, Int32(bytes.count), bytes.baseAddress, qos, retain)
        }
        let ok = code == MOSQ_ERR_SUCCESS.rawValue
        state.withLock { counts in
            if ok { counts.published += 1 } else { counts.dropped += 1 }
        }
        return ok
    }

    public var counts: Counts { state.withLock { $0 } }
}
