/// What the edge answers for one frame: one entry per head the model has, in original image pixels.
public struct FrameResult: Sendable {
    public struct ClassScore: Sendable, Equatable {
        public let index: Int
        public let name: String
        public let probability: Float

        public init(index: Int, name: String, probability: Float) {
            self.index = index
            self.name = name
            self.probability = probability
        }
    }

    public struct Classification: Sendable {
        public let logits: [Float]
        public let top5: [ClassScore]
    }

    public struct Segmentation: Sendable {
        /// Label map at the original image size, row-major, one class index per pixel.
        public let labels: [UInt8]
        public let size: ImageSize
        public let classNames: [String]
    }

    public struct DetectedObject: Sendable, Equatable {
        /// x1, y1, x2, y2 in original image pixels.
        public let box: [Float]
        public let label: Int
        public let name: String
        public let score: Float

        public init(box: [Float], label: Int, name: String, score: Float) {
            self.box = box
            self.label = label
            self.name = name
            self.score = score
        }
    }

    public let nodeID: String
    public let sequence: UInt64
    public let originalSize: ImageSize
    public let classification: Classification?
    public let segmentation: Segmentation?
    public let detections: [DetectedObject]?
    public let timings: StageTimings
}
