/// torchvision `AnchorGenerator`: per level, one cell of base anchors (aspect ratios outer, sizes inner,
/// each ±(w/2, h/2) rounded half-to-even) shifted over the feature grid by the level's stride.
///
/// Strides are the padded image size divided (integer division) by the feature size, as torchvision
/// takes them from `image_list.tensors`; anchors are laid on the padded maps, not the resized image.
/// Anchor order is (y, x, cell anchor), the order the RPN head's outputs are flattened in.
public struct AnchorGenerator: Sendable {
    public let sizes: [[Int]]
    public let aspectRatios: [[Float]]
    /// Base anchors per level.
    let cells: [[Box]]

    public init(sizes: [[Int]], aspectRatios: [[Float]]) {
        precondition(sizes.count == aspectRatios.count, "anchor sizes and aspect ratios differ in level count")
        self.sizes = sizes
        self.aspectRatios = aspectRatios
        cells = zip(sizes, aspectRatios).map { Self.cell(sizes: $0, aspectRatios: $1) }
    }

    public var anchorsPerLocation: [Int] { zip(sizes, aspectRatios).map { $0.count * $1.count } }

    /// `generate_anchors`, in float32 as torchvision computes it.
    static func cell(sizes: [Int], aspectRatios: [Float]) -> [Box] {
        var anchors: [Box] = []
        for ratio in aspectRatios {
            let heightRatio = ratio.squareRoot()
            let widthRatio = 1 / heightRatio
            for size in sizes {
                let w = widthRatio * Float(size)
                let h = heightRatio * Float(size)
                anchors.append(
                    Box(
                        x1: (-w / 2).rounded(.toNearestOrEven), y1: (-h / 2).rounded(.toNearestOrEven),
                        x2: (w / 2).rounded(.toNearestOrEven), y2: (h / 2).rounded(.toNearestOrEven)))
            }
        }
        return anchors
    }

    /// Anchors of one level for a feature map of `grid` (height, width) on an image padded to `padded`.
    public func anchors(level: Int, grid: (height: Int, width: Int), padded: ImageSize) -> [Box] {
        let strideY = padded.height / grid.height
        let strideX = padded.width / grid.width
        let cell = cells[level]
        var result: [Box] = []
        result.reserveCapacity(grid.height * grid.width * cell.count)
        for y in 0..<grid.height {
            let shiftY = Float(y * strideY)
            for x in 0..<grid.width {
                let shiftX = Float(x * strideX)
                for base in cell {
                    result.append(Box(x1: shiftX + base.x1, y1: shiftY + base.y1, x2: shiftX + base.x2, y2: shiftY + base.y2))
                }
            }
        }
        return result
    }
}
