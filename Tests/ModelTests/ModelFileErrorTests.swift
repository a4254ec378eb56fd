import Foundation
import Shared
import TestSupport
import Testing

/// A wrong, truncated or foreign model file fails with an error naming the problem, never a crash.
@Suite struct ModelFileErrorTests {
    static let tinyPath = Fixtures.path("model/tiny.safetensors")

    /// Rewrites the tiny model with `edit` applied to its tensors and metadata; returns the new path.
    func rewrittenTinyModel(_ edit: (inout [String: Tensor], inout [String: [Int32]], inout [String: String]) -> Void) throws -> String {
        let file = try SafeTensorsFile(path: Self.tinyPath)
        var floats: [String: Tensor] = [:]
        var ints: [String: [Int32]] = [:]
        var shapes: [String: [Int]] = [:]
        for (key, entry) in file.entries {
            if entry.dtype == "F32" { floats[key] = try file.tensor(key) } else { ints[key] = try file.int32s(key) }
            shapes[key] = entry.shape
        }
        var metadata = file.metadata
        edit(&floats, &ints, &metadata)
        var writer = SafeTensorsWriter(metadata: metadata)
        for (key, tensor) in floats { writer.add(key, tensor) }
        for (key, values) in ints { writer.add(key, int32s: values, shape: shapes[key] ?? [values.count]) }
        let path = NSTemporaryDirectory() + "ladon-model-\(UUID().uuidString).safetensors"
        try writer.write(to: path)
        return path
    }

    @Test func intactTinyModelLoadsOnBothSidesOfTheSplit() throws {
        let model = try LadonModelFile(path: Self.tinyPath)
        _ = try MobileModel(model)
        _ = try EdgeModel(model)
    }

    @Test func missingTensorIsNamed() throws {
        let path = try rewrittenTinyModel { floats, _, _ in floats["shared_body.layer3.0.conv2.weight"] = nil }
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: WeightsError.missingTensor(key: "shared_body.layer3.0.conv2.weight")) {
            try EdgeModel(LadonModelFile(path: path))
        }
    }

    @Test func wrongShapeNamesTheTensorAndBothShapes() throws {
        let path = try rewrittenTinyModel { floats, _, _ in
            floats["classification_head.fc.bias"] = Tensor(zeros: [3])
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: (any Error).self) { try EdgeModel(LadonModelFile(path: path)) }
        do {
            _ = try EdgeModel(LadonModelFile(path: path))
        } catch {
            guard case let .shapeMismatch(key, _, actual) = error else {
                Issue.record("got \(error)")
                return
            }
            #expect(key == "classification_head.fc.bias")
            #expect(actual == [3])
        }
    }

    @Test func foreignTensorIsRefused() throws {
        let path = try rewrittenTinyModel { floats, _, _ in floats["shared_body.layer9.weight"] = Tensor(zeros: [2]) }
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: WeightsError.unexpectedTensors(keys: ["shared_body.layer9.weight"])) {
            try EdgeModel(LadonModelFile(path: path))
        }
    }

    @Test func fileWithoutArchitectureMetadataIsNotTakenForAModel() throws {
        let path = try rewrittenTinyModel { _, _, metadata in metadata = [:] }
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: (any Error).self) { try LadonModelFile(path: path) }
    }

    @Test(arguments: [8, 100, 5000, -64])
    func truncatedModelFileIsReportedAsTruncated(keepBytes: Int) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.tinyPath))
        let path = NSTemporaryDirectory() + "ladon-truncated-\(UUID().uuidString).safetensors"
        try data.prefix(keepBytes > 0 ? keepBytes : data.count + keepBytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try LadonModelFile(path: path)
            Issue.record("a file cut to \(keepBytes) bytes loaded")
        } catch {
            switch error {
            case .truncated, .badHeader: break
            default: Issue.record("unexpected error \(error)")
            }
        }
    }

    @Test func nonexistentPathSaysItCannotOpen() {
        #expect(throws: (any Error).self) { try LadonModelFile(path: "/nonexistent/model.safetensors") }
    }
}
