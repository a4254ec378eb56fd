import Foundation
import Shared

// Makes CURVE key pairs (docs/security.md): for each name, NAME.key (the public certificate, to copy
// into the allow-list folders of the servers that should let NAME in) and NAME.key_secret (mode 0600,
// to stay on the machine that runs NAME).
let spec = CommandSpec(
    command: "ladon-keygen",
    summary: "Make CURVE key pairs: NAME.key (public, for allow-lists) and NAME.key_secret (mode 0600) per name.",
    options: [
        .value("out", "dir", help: "Folder to write the certificates into (created if missing).", required: true)
    ])

runCommandLineProgram("ladon-keygen") {
    let options = try spec.parse(Array(CommandLine.arguments.dropFirst()))
    guard !options.positional.isEmpty else {
        throw CommandLineError.missingOption("a name per key pair (positional: ladon-keygen edge cam-01 --out keys)")
    }
    for name in options.positional {
        guard PeerRoute.isValid(name) else { throw CommandLineError.invalidValue(option: "name", value: name, expected: PeerRoute.validityRule) }
    }
    guard Curve.isAvailable else { throw SecurityError.curveUnavailable }
    let folder = options.required("out")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for name in options.positional {
        let pair = try KeyFile.generate(name: name, in: folder)
        let base = URL(fileURLWithPath: folder).appendingPathComponent(name).path
        print("\(pair.name): \(base)\(KeyFile.publicSuffix) (public), \(base)\(KeyFile.secretSuffix) (secret, mode 0600)")
    }
}
