import Shared

/// The colours annotations draw classes in: the mask overlay and its outline, boxes, tag and legend swatches.
///
/// Labels 1-6 take the hues of the PASCAL VOC colour map's first six classes (red, green, yellow, blue,
/// magenta, cyan) at full strength, 7-11 five more hand-picked hues (orange, lime, violet, pink,
/// aquamarine), and later labels step round the hue circle by the golden angle. VOC's own colours are
/// half-bright (at most 128 a channel): blended at 0.45 they move a mid-dark pixel by at most 29 of 255
/// in any channel, and vanish on the shapes-world textures. Every colour here spans at least
/// `minimumSpread` between its strongest and weakest channel, so blended at alpha `a` it moves a grey
/// pixel, whatever its level, by at least `a · minimumSpread / 2` in some channel (42 at 0.5).
public enum ClassPalette {
    /// The least difference between a colour's strongest and weakest channel.
    public static let minimumSpread = 170

    /// Label `label`'s colour; background (0) and negative labels are never drawn and get neutral grey.
    public static func colour(_ label: Int) -> RGBColour {
        guard label > 0 else { return RGBColour(r: 128, g: 128, b: 128) }
        if label <= chosen.count { return chosen[label - 1] }
        // 0.381966 turns = the golden angle: each new hue falls in the largest gap left by the others.
        let hue = (0.05 + Double(label - chosen.count - 1) * 0.381_966).truncatingRemainder(dividingBy: 1)
        return saturated(hue: hue, value: label.isMultiple(of: 2) ? 1 : 0.8)
    }

    private static let chosen: [RGBColour] = [
        RGBColour(r: 255, g: 56, b: 56),  // red
        RGBColour(r: 40, g: 220, b: 60),  // green
        RGBColour(r: 255, g: 215, b: 0),  // yellow
        RGBColour(r: 50, g: 110, b: 255),  // blue
        RGBColour(r: 235, g: 50, b: 235),  // magenta
        RGBColour(r: 0, g: 215, b: 235),  // cyan
        RGBColour(r: 255, g: 140, b: 0),  // orange
        RGBColour(r: 160, g: 255, b: 40),  // lime
        RGBColour(r: 150, g: 70, b: 255),  // violet
        RGBColour(r: 255, g: 70, b: 160),  // pink
        RGBColour(r: 0, g: 235, b: 150),  // aquamarine
    ]

    /// Fully saturated HSV: `hue` in turns, `value` the strongest channel as a fraction of 255.
    private static func saturated(hue: Double, value: Double) -> RGBColour {
        let sector = hue * 6
        let rising = sector - sector.rounded(.down)  // 0 → 1 across the sector
        let top = value * 255
        let (up, down) = (top * rising, top * (1 - rising))
        let (r, g, b): (Double, Double, Double)
        switch Int(sector) % 6 {
        case 0: (r, g, b) = (top, up, 0)
        case 1: (r, g, b) = (down, top, 0)
        case 2: (r, g, b) = (0, top, up)
        case 3: (r, g, b) = (0, down, top)
        case 4: (r, g, b) = (up, 0, top)
        default: (r, g, b) = (top, 0, down)
        }
        return RGBColour(r: UInt8(r.rounded()), g: UInt8(g.rounded()), b: UInt8(b.rounded()))
    }
}

/// Which colour each class takes on one frame. Mask labels take their palette colour. A detection takes
/// the colour of the segmentation class of the same name when the frame's label map names one, else its
/// own label's: the heads may number classes differently (COCO's person is 1, VOC's 15), and a box should
/// match the overlay and the legend for its class.
struct ClassColours {
    private let segmentationLabel: [String: Int]

    /// `segmentationClasses`: the label map's class names, indexed by label.
    init(segmentationClasses: [String]) {
        var labels: [String: Int] = [:]
        for (label, name) in segmentationClasses.enumerated().reversed() where label > 0 && !name.isEmpty {
            labels[name] = label
        }
        segmentationLabel = labels
    }

    func mask(_ label: Int) -> RGBColour { ClassPalette.colour(label) }

    func detection(_ object: DetectedObject) -> RGBColour {
        ClassPalette.colour(segmentationLabel[object.name] ?? object.label)
    }
}
