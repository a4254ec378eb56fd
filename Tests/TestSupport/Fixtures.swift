import Foundation
import Shared
import Testing

/// Fixtures made by the tools/ scripts from PyTorch, under Tests/Fixtures.
public enum Fixtures {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// Every `.safetensors` fixture in a folder, by case name.
    public static func cases(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path(folder))) ?? []
        return names.filter { $0.hasSuffix(".safetensors") }.map { String($0.dropLast(12)) }.sorted()
    }

    public static func open(_ folder: String, _ name: String) throws -> (SafeTensorsFile, [String: Any]) {
        let file = try SafeTensorsFile(path: path("\(folder)/\(name).safetensors"))
        let json = file.metadata["case"].flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) }
        return (file, json as? [String: Any] ?? [:])
    }
}

/// Shape first, then max |a − b| ≤ atol + rtol·|b|.
public func expectClose(
    _ actual: Tensor, _ expected: Tensor, atol: Float = 1e-5, rtol: Float = 1e-4,
    _ what: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == expected.shape, "\(what): shape \(actual.shape) vs \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let (a, b) = (actual.scalars, expected.scalars)
    var worst: (index: Int, excess: Float) = (-1, 0)
    for i in a.indices {
        let excess = abs(a[i] - b[i]) - (atol + rtol * abs(b[i]))
        if excess > worst.excess || a[i].isNaN != b[i].isNaN { worst = (i, max(excess, .ulpOfOne)) }
    }
    #expect(
        worst.index < 0,
        "\(what): element \(worst.index) is \(worst.index >= 0 ? a[worst.index] : 0), expected \(worst.index >= 0 ? b[worst.index] : 0)",
        sourceLocation: sourceLocation)
}
