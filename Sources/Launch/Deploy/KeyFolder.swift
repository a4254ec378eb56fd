/// The CURVE files one service reads (docs/security.md, "Deploying: one folder per allow-list"), laid out
/// as deploy mounts them: the key files (`--secret-key` and the servers' certificates) side by side in
/// one folder, each allow-list a folder directly inside it.
///
/// ```
/// keys/edge.key_secret  keys/sink.key  keys/allow-nodes/cam-01.key  keys/allow-workers/worker.key
/// ```
public struct KeyFolder: Sendable, Equatable {
    /// The folder as the arguments name it (`keys`).
    public var path: String
    /// The key files' names, in the order the options name them.
    public var files: [String]
    /// The allow-list folders' names.
    public var allowLists: [String]

    public init(path: String, files: [String], allowLists: [String]) {
        self.path = path
        self.files = files
        self.allowLists = allowLists
    }

    /// The folder inside the container: relative paths start at the image's working directory.
    public var containerPath: String {
        path.hasPrefix("/") ? path : DeployPlan.workingDirectory + "/" + path
    }

    /// The key folder `arguments` use, `nil` when they name no key (a plaintext stage, or ingest).
    static func of(_ arguments: [String], service: String) throws(DeployError) -> KeyFolder? {
        let files = StageProgram.keyFileOptions.compactMap { StageProgram.value(of: $0, in: arguments).map(split) }
        let allowLists = StageProgram.allowListOptions.compactMap { option in
            StageProgram.value(of: option, in: arguments).map { (option, split($0)) }
        }
        guard let first = files.first?.folder ?? allowLists.first?.1.folder else { return nil }
        guard !first.isEmpty, first != "/" else {
            throw .keyLayout(
                service: service, reason: "its key files need a folder of their own (keys/NAME.key_secret), mounted apart from the image's files")
        }
        if let stray = files.first(where: { $0.folder != first }) {
            throw .keyLayout(
                service: service,
                reason: "its key files are in more than one folder (\(first), \(stray.folder)); deploy mounts one folder per service")
        }
        for (option, list) in allowLists where list.folder != first || list.name.isEmpty {
            throw .keyLayout(
                service: service, reason: "--\(option) \(list.folder)/\(list.name) is not a folder directly inside its key folder \(first)")
        }
        var names: [String] = []
        for file in files where !names.contains(file.name) { names.append(file.name) }
        return KeyFolder(path: first, files: names, allowLists: allowLists.map(\.1.name))
    }

    /// A path's folder and last component (`./keys/edge.key` and `keys/edge.key` alike; a trailing `/` dropped).
    private static func split(_ path: String) -> (folder: String, name: String) {
        var path = Substring(path)
        while path.hasPrefix("./") { path = path.dropFirst(2) }
        while path.count > 1 && path.hasSuffix("/") { path = path.dropLast() }
        guard let slash = path.lastIndex(of: "/") else { return ("", String(path)) }
        let folder = path[..<slash]
        return (folder.isEmpty ? "/" : String(folder), String(path[path.index(after: slash)...]))
    }
}
