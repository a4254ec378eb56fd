import Foundation
import Synchronization

/// The client keys a server lets in: a folder of public certificates (`*.key`, see KeyFile), each
/// naming who the key speaks for. Read at start and again on `reload()`, so removing a file revokes
/// that key: the ZAP handler refuses its next handshake, and the stage cuts its live session (ZAP is
/// consulted only at handshake). `extra` keys are allowed whatever the folder holds (an edge's own
/// key for the local workers it starts).
///
/// Shared between the ZAP thread and the stage's I/O thread; all state is behind one lock.
public final class AllowList: Sendable {
    private struct State {
        var names: [CurveKey: String] = [:]
        var listed: Set<String> = []
        var warnedAbout: Set<String> = []
    }

    public let folder: String?
    private let extra: [CurveKey: String]
    private let state = Mutex(State())
    private let log = Logger(label: "ladon.allow-list")

    /// `folder` may be nil for a list of only the `extra` keys.
    public init(folder: String?, extra: [CurveKey: String] = [:]) throws(SecurityError) {
        self.folder = folder
        self.extra = extra
        _ = try reload()
    }

    /// The name a listed key speaks for, `nil` for a key not (or no longer) listed.
    public func name(of key: CurveKey) -> String? {
        extra[key] ?? state.withLock { $0.names[key] }
    }

    /// Whether some listed key speaks for `name`.
    public func lists(name: String) -> Bool {
        extra.values.contains(name) || state.withLock { $0.listed.contains(name) }
    }

    public var count: Int { extra.count + state.withLock { $0.names.count } }

    /// Reads the folder again; returns the names whose keys were listed before and are not now.
    @discardableResult
    public func reload() throws(SecurityError) -> Set<String> {
        guard let folder else { return [] }
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw .unreadableAllowList(path: folder, reason: (error as NSError).localizedDescription)
        }
        var names: [CurveKey: String] = [:]
        var problems: [String] = []
        for entry in entries.sorted() where entry.hasSuffix(KeyFile.publicSuffix) {
            let path = URL(fileURLWithPath: folder).appendingPathComponent(entry).path
            do throws(SecurityError) {
                let file = try KeyFile.read(path)
                names[file.publicKey] = file.name
            } catch {
                problems.append("\(error)")
            }
        }
        return state.withLock { state in
            for problem in problems where state.warnedAbout.insert(problem).inserted {
                log.warning("skipping a file of the allow-list", ["error": problem])
            }
            let before = state.listed
            state.names = names
            state.listed = Set(names.values)
            return before.subtracting(state.listed)
        }
    }
}
