/// A per-pixel class map in original-image pixels, sent run-length encoded (proto `Segmentation`,
/// `ENCODING_RLE`): row-major runs of one label byte then the run length as a protobuf varint.
/// Label maps are large flat regions, so this is lossless and small, and any language decodes it in a few lines.
public struct SegmentationMap: Sendable, Equatable {
    /// Parsers refuse larger maps before allocating (8K × 8K).
    public static let maximumPixels = 1 << 26

    public var size: ImageSize
    /// Row-major, `size.height * size.width` labels.
    public var labels: [UInt8]
    /// Name of each label value; every label indexes into it when it is not empty.
    public var classNames: [String]

    public init(size: ImageSize, labels: [UInt8], classNames: [String]) {
        precondition(labels.count == size.height * size.width, "\(labels.count) labels for a \(size.height)x\(size.width) map")
        self.size = size
        self.labels = labels
        self.classNames = classNames
    }

    /// The map's runs as `ENCODING_RLE` bytes.
    public func runLengthEncoded() -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < labels.count {
            let label = labels[index]
            var end = index + 1
            while end < labels.count, labels[end] == label { end += 1 }
            out.append(label)
            var run = UInt64(end - index)
            while run >= 0x80 {
                out.append(UInt8(truncatingIfNeeded: run) | 0x80)
                run >>= 7
            }
            out.append(UInt8(run))
            index = end
        }
        return out
    }

    /// Decodes `ENCODING_RLE` bytes, checking that the runs cover the map exactly and name known classes.
    public init(runLengthEncoded data: [UInt8], size: ImageSize, classNames: [String]) throws(WireError) {
        func invalid(_ field: String, _ reason: String) -> WireError {
            .invalidField(message: "Segmentation", field: field, reason: reason)
        }
        guard size.height > 0, size.width > 0 else { throw invalid("height", "empty \(size.height)x\(size.width) map") }
        guard size.height <= Self.maximumPixels / size.width else {
            throw invalid("height", "\(size.height)x\(size.width) is over the \(Self.maximumPixels)-pixel limit")
        }
        let pixels = size.height * size.width
        var labels = [UInt8]()
        labels.reserveCapacity(pixels)
        var position = 0
        while position < data.count {
            let label = data[position]
            position += 1
            guard classNames.isEmpty || Int(label) < classNames.count else {
                throw invalid("data", "label \(label) with \(classNames.count) class names")
            }
            var run: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard position < data.count else { throw invalid("data", "run length cut off at byte \(position)") }
                guard shift < 35 else { throw invalid("data", "run length over 5 bytes at byte \(position)") }
                let byte = data[position]
                position += 1
                run |= UInt64(byte & 0x7F) << shift
                shift += 7
                if byte & 0x80 == 0 { break }
            }
            guard run > 0 else { throw invalid("data", "empty run at byte \(position)") }
            guard run <= UInt64(pixels - labels.count) else {
                throw invalid("data", "runs cover more than the \(pixels) pixels of a \(size.height)x\(size.width) map")
            }
            labels.append(contentsOf: repeatElement(label, count: Int(run)))
        }
        guard labels.count == pixels else {
            throw invalid("data", "runs cover \(labels.count) of \(pixels) pixels")
        }
        self.init(size: size, labels: labels, classNames: classNames)
    }
}
