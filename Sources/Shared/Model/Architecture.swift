import Foundation

/// The architecture a model file declares in its `ladon.architecture` metadata (docs/model-format.md).
public struct LadonArchitecture: Codable, Sendable, Equatable {
    public struct Preprocess: Codable, Sendable, Equatable {
        public var minSize: Int
        public var maxSize: Int
        public var sizeDivisible: Int
        public var mean: [Float]
        public var std: [Float]
    }

    public struct Bottleneck: Codable, Sendable, Equatable {
        /// [input, conv0 out, conv2 out, latent channels]
        public var encoderChannels: [Int]
        /// [latent channels, conv0 out, conv2 out, decoder out]
        public var decoderChannels: [Int]
    }

    public struct Trunk: Codable, Sendable, Equatable {
        public var inplanes: Int
        public var planes: [Int]
        public var blocks: [Int]
        public var expansion: Int
        public var batchNormEps: Float
    }

    public struct Classification: Codable, Sendable, Equatable {
        public var numClasses: Int
        public var classNames: [String]
    }

    public struct Segmentation: Codable, Sendable, Equatable {
        public var numClasses: Int
        public var asppChannels: Int
        public var atrousRates: [Int]
        public var classNames: [String]
    }

    public struct Detection: Codable, Sendable, Equatable {
        public var numClasses: Int
        public var fpnChannels: Int
        public var classNames: [String]
    }

    public struct Heads: Codable, Sendable, Equatable {
        public var classification: Classification?
        public var segmentation: Segmentation?
        public var detection: Detection?
    }

    public var formatVersion: Int
    public var family: String
    public var backbone: String
    public var beta: Double
    public var preprocess: Preprocess
    public var bottleneck: Bottleneck
    public var trunk: Trunk
    public var heads: Heads
    public var source: String?

    public static let metadataKey = "ladon.architecture"

    /// Parses and sanity-checks the metadata JSON.
    public static func parse(_ json: String) throws(WeightsError) -> LadonArchitecture {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let architecture: LadonArchitecture
        do {
            architecture = try decoder.decode(LadonArchitecture.self, from: Data(json.utf8))
        } catch {
            throw .badArchitecture(reason: Self.describe(error))
        }
        try architecture.validate()
        return architecture
    }

    func validate() throws(WeightsError) {
        guard family == "ladon" else { throw .badArchitecture(reason: "family is '\(family)', not 'ladon'") }
        guard formatVersion == 1 else { throw .badArchitecture(reason: "format_version \(formatVersion) is not supported (1 is)") }
        guard bottleneck.encoderChannels.count == 4, bottleneck.decoderChannels.count == 4,
              bottleneck.encoderChannels[3] == bottleneck.decoderChannels[0],
              bottleneck.decoderChannels[3] == trunk.inplanes
        else { throw .badArchitecture(reason: "bottleneck channels \(bottleneck) do not chain into the trunk") }
        guard trunk.planes.count == 3, trunk.blocks.count == 3, trunk.blocks.allSatisfy({ $0 >= 1 }) else {
            throw .badArchitecture(reason: "trunk must describe layer2..layer4 with at least one block each")
        }
        guard preprocess.mean.count == 3, preprocess.std.count == 3, preprocess.sizeDivisible > 0 else {
            throw .badArchitecture(reason: "preprocess needs 3 means, 3 stds and a positive size_divisible")
        }
        if let head = heads.classification, head.classNames.count != head.numClasses {
            throw .badArchitecture(reason: "classification has \(head.numClasses) classes but \(head.classNames.count) names")
        }
        if let head = heads.segmentation, head.classNames.count != head.numClasses {
            throw .badArchitecture(reason: "segmentation has \(head.numClasses) classes but \(head.classNames.count) names")
        }
    }

    private static func describe(_ error: Error) -> String {
        switch error as? DecodingError {
        case let .keyNotFound(key, context)?:
            return "missing '\(key.stringValue)' at \(path(context))"
        case let .typeMismatch(_, context)?, let .valueNotFound(_, context)?, let .dataCorrupted(context)?:
            return "\(context.debugDescription) at \(path(context))"
        default:
            return "\(error)"
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map(\.stringValue).joined(separator: ".")
        return keys.isEmpty ? "top level" : keys
    }

    /// Channels of trunk layer `index` (0 = layer2) output.
    func trunkOutputChannels(_ index: Int) -> Int { trunk.planes[index] * trunk.expansion }
}
