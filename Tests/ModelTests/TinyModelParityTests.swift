import Foundation
import Shared
import TestSupport
import Testing

/// The tiny random-init Ladons (tools/make_model_fixtures.py) against PyTorch's outputs on the same input:
/// `tiny` (ResNet Bottleneck trunk) and `tiny-resnest` (timm's ResNeSt blocks: split attention, avd,
/// avg_down), the heads on either trunk's features.
@Suite struct TinyModelParityTests {
    static let variants = ["tiny", "tiny-resnest"]

    static func load(_ variant: String) throws -> (model: LadonModelFile, reference: SafeTensorsFile) {
        (
            try LadonModelFile(path: Fixtures.path("model/\(variant).safetensors")),
            try SafeTensorsFile(path: Fixtures.path("model/\(variant)-reference.safetensors"))
        )
    }

    @Test(arguments: variants)
    func encoderOutputMatchesPyTorch(_ variant: String) throws {
        let (model, reference) = try Self.load(variant)
        let latent = try MobileModel(model).encoder(try reference.tensor("input"))
        expectClose(latent, try reference.tensor("latent"), atol: 1e-5, rtol: 1e-4, "\(variant) latent")
    }

    @Test(arguments: variants)
    func quantisedLatentMatchesTheEntropyBottleneck(_ variant: String) throws {
        let (model, reference) = try Self.load(variant)
        let quantized = try MobileModel(model).entropy.quantizeDequantize(try reference.tensor("latent"))
        expectClose(quantized, try reference.tensor("latent_quantized"), atol: 1e-6, rtol: 0, "\(variant) quantised latent")
    }

    @Test(arguments: variants)
    func trunkFeaturesMatchPyTorch(_ variant: String) throws {
        let (model, reference) = try Self.load(variant)
        let features = try EdgeModel(model).trunk(try reference.tensor("latent_quantized"))
        for (index, (name, tensor)) in features.named.enumerated() {
            expectClose(tensor, try reference.tensor("feature\(index)"), atol: 1e-4, rtol: 1e-3, "\(variant) feature '\(name)'")
        }
    }

    @Test(arguments: variants)
    func classificationLogitsMatchPyTorch(_ variant: String) throws {
        let (model, reference) = try Self.load(variant)
        let head = try #require(try EdgeModel(model).classification)
        let logits = head(try reference.tensor("feature3"))
        let expected = try reference.tensor("class_logits")
        expectClose(logits, expected.reshaped(logits.shape), atol: 1e-4, rtol: 1e-3, "\(variant) class logits")
    }

    @Test func theResNeStBackboneIsWrittenInTheModelIdentityWhichTheEdgeComparesWithEachLatents() throws {
        let (resnet, resnest) = (try Self.load("tiny").model, try Self.load("tiny-resnest").model)
        #expect(resnest.architecture.backbone == "resnest269e" && resnest.architecture.trunk.blockKind == .resnest)
        #expect(resnet.architecture.trunk.blockKind == .resnet)
        let (a, b) = (try ModelIdentity(resnet), try ModelIdentity(resnest))
        #expect(a != b && a.backbone != b.backbone)
    }
}

/// What a ResNeSt trunk's architecture must say before any weight is read.
@Suite struct ResNeStArchitectureTests {
    static func architecture(radix: Int?, planes: [Int]? = nil) throws -> String {
        var architecture = try LadonModelFile(path: Fixtures.path("model/tiny-resnest.safetensors")).architecture
        architecture.trunk.radix = radix
        if let planes { architecture.trunk.planes = planes }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(architecture), as: UTF8.self)
    }

    @Test func theTinyResNeStArchitectureReadsBack() throws {
        #expect(try LadonArchitecture.parse(Self.architecture(radix: 2)).trunk.radix == 2)
    }

    @Test(arguments: [nil, 0, 1] as [Int?])
    func aRadixBelowTwoIsRefused(radix: Int?) throws {
        let json = try Self.architecture(radix: radix)
        #expect(throws: WeightsError.self) { try LadonArchitecture.parse(json) }
    }

    @Test func planesThatDoNotSplitIntoTheRadixAreRefused() throws {
        let json = try Self.architecture(radix: 2, planes: [8, 15, 32])
        #expect(throws: WeightsError.self) { try LadonArchitecture.parse(json) }
    }
}
