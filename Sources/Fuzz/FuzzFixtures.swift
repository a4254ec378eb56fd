import Foundation
import Shared

/// What the targets need from the repository: the tiny test model (Tests/Fixtures/model), whose entropy
/// tables and preprocessing the rANS and JPEG targets use. `LADON_FUZZ_MODEL` names another model file.
enum FuzzFixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var modelPath: String {
        ProcessInfo.processInfo.environment["LADON_FUZZ_MODEL"]
            ?? repositoryRoot.appendingPathComponent("Tests/Fixtures/model/tiny.safetensors").path
    }

    /// Loaded once, on the first input that needs it; a target cannot run without it.
    static let model: MobileModel = {
        do {
            return try MobileModel(LadonModelFile(path: modelPath))
        } catch {
            fatalError("ladon-fuzz: cannot load the model the targets use: \(error)")
        }
    }()

    static let coder: EntropyBottleneck = {
        do {
            return try EntropyBottleneck(model.entropy)
        } catch {
            fatalError("ladon-fuzz: the model's entropy tables are unusable: \(error)")
        }
    }()
}
