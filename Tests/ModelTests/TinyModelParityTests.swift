import Foundation
import Shared
import TestSupport
import Testing

/// The tiny random-init Ladon (tools/make_op_fixtures.py) against PyTorch's outputs on the same input.
@Suite struct TinyModelParityTests {
    static let modelPath = Fixtures.path("model/tiny.safetensors")
    let reference: SafeTensorsFile
    let model: LadonModelFile

    init() throws {
        reference = try SafeTensorsFile(path: Fixtures.path("model/tiny-reference.safetensors"))
        model = try LadonModelFile(path: Self.modelPath)
    }

    @Test func encoderOutputMatchesPyTorch() throws {
        let mobile = try MobileModel(model)
        let latent = mobile.encoder(try reference.tensor("input"))
        expectClose(latent, try reference.tensor("latent"), atol: 1e-5, rtol: 1e-4, "latent")
    }

    @Test func quantisedLatentMatchesTheEntropyBottleneck() throws {
        let mobile = try MobileModel(model)
        let quantized = mobile.entropy.quantizeDequantize(try reference.tensor("latent"))
        expectClose(quantized, try reference.tensor("latent_quantized"), atol: 1e-6, rtol: 0, "quantised latent")
    }

    @Test func trunkFeaturesMatchPyTorch() throws {
        let edge = try EdgeModel(model)
        let features = edge.trunk(try reference.tensor("latent_quantized"))
        for (index, (name, tensor)) in features.named.enumerated() {
            expectClose(tensor, try reference.tensor("feature\(index)"), atol: 1e-4, rtol: 1e-3, "feature '\(name)'")
        }
    }

    @Test func classificationLogitsMatchPyTorch() throws {
        let edge = try EdgeModel(model)
        let head = try #require(edge.classification)
        let logits = head(try reference.tensor("feature3"))
        let expected = try reference.tensor("class_logits")
        expectClose(logits, expected.reshaped(logits.shape), atol: 1e-4, rtol: 1e-3, "class logits")
    }
}
