import Foundation
import Shared
import TestSupport
import Testing

/// CURVE keys, certificates, allow-lists and the ZAP handler, in one process over real sockets.
@Suite struct CurveTests {
    @Test func aGeneratedCertificateReadsBackAndItsSecretFileIsPrivate() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let made = try KeyFile.generate(name: "cam-01", in: folder.path)
        let secret = try KeyFile.readSecret(folder.appendingPathComponent("cam-01.key_secret").path)
        let publicFile = try KeyFile.read(folder.appendingPathComponent("cam-01.key").path)
        #expect(secret == made)
        #expect(publicFile.name == "cam-01" && publicFile.publicKey == made.publicKey && publicFile.secretKey == nil)
        let mode = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("cam-01.key_secret").path)[.posixPermissions]
        #expect(mode as? Int == 0o600)
        #expect(throws: SecurityError.keyFileExists(path: folder.appendingPathComponent("cam-01.key_secret").path)) {
            try KeyFile.generate(name: "cam-01", in: folder.path)
        }
    }

    @Test func aKeyTextRoundTripsThroughZ85AndAnythingElseIsNoKey() throws {
        let (publicKey, secretKey) = try Curve.keyPair()
        #expect(CurveKey(z85: publicKey.z85) == publicKey)
        #expect(try Curve.publicKey(of: secretKey) == publicKey)
        for text in ["", "short", String(repeating: "a", count: 39), String(repeating: "a", count: 41), String(repeating: " ", count: 40)] {
            #expect(CurveKey(z85: text) == nil, "\(text)")
        }
        #expect("\(secretKey)" == "CurveKey", "a key never prints itself")
    }

    @Test(arguments: [
        ("name = \"cam-01\"\n", "no public-key of 40 Z85 characters"),
        ("public-key = \"x\"\n", "no valid name"),
        ("name = \"a/b\"\npublic-key = \"0000000000000000000000000000000000000000\"\n", "no valid name"),
    ])
    func aCertificateWithoutANameOrKeyIsRefusedNamingWhatIsMissing(text: String, reason: String) throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("bad.key").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            try KeyFile.read(path)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func reloadingAnAllowListReportsTheNamesWhoseKeysLeftIt() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let keys = try ["cam-01", "cam-02"].map { try KeyFile.generate(name: $0, in: folder.path) }
        let list = try AllowList(folder: folder.path)
        #expect(list.name(of: keys[0].publicKey) == "cam-01" && list.lists(name: "cam-02") && list.count == 2)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("cam-02.key"))
        #expect(try list.reload() == ["cam-02"])
        #expect(list.name(of: keys[1].publicKey) == nil && !list.lists(name: "cam-02"))
        #expect(try list.reload() == [], "a name is revoked once")
    }

    /// A CURVE PULL server with the ZAP handler and three clients: listed, unlisted, plaintext.
    @Test func theZAPHandlerLetsInListedKeysWithTheirNameAndRefusesTheRest() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try Curve.keyPair()
        let listed = try KeyFile.generate(name: "cam-01", in: folder.path)
        let stranger = try Curve.keyPair()
        let context = try Context()
        defer { context.close() }
        let zap = try ZAPHandler(context: context, domains: ["test": try AllowList(folder: folder.path)])
        let pull = try context.socket(.pull)
        defer { pull.close() }
        try pull.set(.zapDomain("test"))
        try pull.set(.curveServer(secretKey: server.secretKey))
        let endpoint = try pull.bind("tcp://127.0.0.1:*")

        var clients: [Socket] = []
        defer { for client in clients { client.close() } }
        for (publicKey, secretKey) in [(listed.publicKey, listed.secretKey), (stranger.publicKey, stranger.secretKey), (nil, nil)] {
            let client = try context.socket(.push)
            try client.set(.immediate(true))
            if let publicKey, let secretKey {
                try client.set(.curveClient(publicKey: publicKey, secretKey: secretKey, serverKey: server.publicKey))
            }
            try client.connect(endpoint)
            clients.append(client)
        }
        var received: [(frames: [[UInt8]], userID: String?)] = []
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && (received.isEmpty || zap.counts.refusedTotal < 1) {
            for (index, client) in clients.enumerated() { _ = try client.trySend([[UInt8(index)]]) }
            while let message = try pull.tryReceiveWithUserID() { received.append(message) }
            usleep(50_000)
        }
        #expect(
            !received.isEmpty && received.allSatisfy { $0.frames == [[0]] && $0.userID == "cam-01" },
            "only the listed client is heard, under its name")
        #expect(zap.counts.refused["test/unlisted_key"] ?? 0 >= 1, "\(zap.counts)")
        #expect(zap.counts.accepted >= 1)
    }
}
