import Foundation

/// The architecture a model file declares in its `ladon.architecture` metadata (docs/model-format.md).
public struct LadonArchitecture: Codable, Sendable, Equatable {
    public struct Preprocess: Codable, Sendable, Equatable {
        public var minSize: Int
        public var maxSize: Int
        public var sizeDivisible: Int
        public var mean: [Float]
        public var std: [Float]

        public init(minSize: Int, maxSize: Int, sizeDivisible: Int, mean: [Float], std: [Float]) {
            self.minSize = minSize
            self.maxSize = maxSize
            self.sizeDivisible = sizeDivisible
            self.mean = mean
            self.std = std
        }
    }

    public struct Bottleneck: Codable, Sendable, Equatable {
        /// [input, conv0 out, conv2 out, latent channels]
        public var encoderChannels: [Int]
        /// [latent channels, conv0 out, conv2 out, decoder out]
        public var decoderChannels: [Int]
    }

    public struct Trunk: Codable, Sendable, Equatable {
        /// What layer2..layer4 are made of.
        public enum Block: String, Codable, Sendable {
            /// torchvision's ResNet `Bottleneck` (ResNet-50).
            case resnet
            /// timm's `ResNestBottleneck` as ResNeSt-269e builds it: split attention of `radix` splits,
            /// cardinality 1, base width 64 (group width = planes), the stride of each first block in an
            /// average pool after the split attention (avd) and an average-pool shortcut (avg_down).
            case resnest
        }

        public var inplanes: Int
        public var planes: [Int]
        public var blocks: [Int]
        public var expansion: Int
        public var batchNormEps: Float
        /// `nil` in files written before ResNeSt: `resnet`.
        public var block: Block?
        /// Splits of the split attention (`resnest` only; 2 in ResNeSt).
        public var radix: Int?

        public var blockKind: Block { block ?? .resnet }
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

    /// torchvision Faster R-CNN with FPN; the defaults of `FasterRCNN` at inference are the official values.
    public struct Detection: Codable, Sendable, Equatable {
        public var numClasses: Int
        public var fpnChannels: Int
        /// Width of the box head's two fully connected layers (1024).
        public var representationSize: Int
        /// RoIAlign bins per side (7) and samples per bin side (2).
        public var roiOutputSize: Int
        public var samplingRatio: Int
        /// Per pyramid level ('0'..'3', 'pool'): anchor sizes in pixels and aspect ratios (h/w).
        public var anchorSizes: [[Int]]
        public var aspectRatios: [[Float]]
        public var rpnPreNmsTopN: Int
        public var rpnPostNmsTopN: Int
        public var rpnNmsThreshold: Double
        public var boxScoreThreshold: Float
        public var boxNmsThreshold: Double
        public var boxDetectionsPerImg: Int
        public var classNames: [String]

        public init(
            numClasses: Int, fpnChannels: Int, representationSize: Int = 1024, roiOutputSize: Int = 7,
            samplingRatio: Int = 2, anchorSizes: [[Int]] = [[32], [64], [128], [256], [512]],
            aspectRatios: [[Float]] = Array(repeating: [0.5, 1.0, 2.0], count: 5), rpnPreNmsTopN: Int = 1000,
            rpnPostNmsTopN: Int = 1000, rpnNmsThreshold: Double = 0.7, boxScoreThreshold: Float = 0.05,
            boxNmsThreshold: Double = 0.5, boxDetectionsPerImg: Int = 100, classNames: [String]
        ) {
            self.numClasses = numClasses
            self.fpnChannels = fpnChannels
            self.representationSize = representationSize
            self.roiOutputSize = roiOutputSize
            self.samplingRatio = samplingRatio
            self.anchorSizes = anchorSizes
            self.aspectRatios = aspectRatios
            self.rpnPreNmsTopN = rpnPreNmsTopN
            self.rpnPostNmsTopN = rpnPostNmsTopN
            self.rpnNmsThreshold = rpnNmsThreshold
            self.boxScoreThreshold = boxScoreThreshold
            self.boxNmsThreshold = boxNmsThreshold
            self.boxDetectionsPerImg = boxDetectionsPerImg
            self.classNames = classNames
        }

        func validate() throws(WeightsError) {
            func fail(_ reason: String) -> WeightsError { .badArchitecture(reason: "detection \(reason)") }
            guard classNames.count == numClasses else { throw fail("has \(numClasses) classes but \(classNames.count) names") }
            guard numClasses >= 2 else { throw fail("needs a background and at least one class, has \(numClasses)") }
            guard fpnChannels > 0, representationSize > 0, roiOutputSize > 0 else {
                throw fail("fpn_channels, representation_size and roi_output_size must be positive")
            }
            // One anchor set per FPN output: the four trunk features and the 'pool' level.
            guard anchorSizes.count == 5, aspectRatios.count == 5 else {
                throw fail("needs anchor_sizes and aspect_ratios for 5 levels, has \(anchorSizes.count) and \(aspectRatios.count)")
            }
            let perLocation = zip(anchorSizes, aspectRatios).map { $0.count * $1.count }
            guard perLocation.allSatisfy({ $0 == perLocation[0] && $0 > 0 }) else {
                throw fail("levels have different anchor counts \(perLocation); the shared RPN head needs one count")
            }
            guard anchorSizes.joined().allSatisfy({ $0 > 0 }), aspectRatios.joined().allSatisfy({ $0 > 0 }) else {
                throw fail("anchor sizes and aspect ratios must be positive")
            }
            guard rpnPreNmsTopN > 0, rpnPostNmsTopN > 0, boxDetectionsPerImg > 0 else {
                throw fail("rpn_pre_nms_top_n, rpn_post_nms_top_n and box_detections_per_img must be positive")
            }
        }
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
        if trunk.blockKind == .resnest {
            // Radix 1 is timm's sigmoid gate, which ResNeSt-269e does not use and this engine does not compute.
            guard let radix = trunk.radix, radix >= 2 else {
                throw .badArchitecture(reason: "a resnest trunk needs a radix of at least 2, has \(trunk.radix.map(String.init) ?? "none")")
            }
            guard trunk.planes.allSatisfy({ $0 % radix == 0 }) else {
                throw .badArchitecture(reason: "resnest planes \(trunk.planes) do not split into radix \(radix)")
            }
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
        try heads.detection?.validate()
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
