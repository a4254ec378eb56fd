import Shared

/// Where a detection's tag ("name 0.87") goes, apart from drawing it. The tag always lies wholly on the
/// frame and below the banner:
/// - vertically, above the box when there is room between the box's top edge and the banner (or the
///   frame's top), else just inside the box's top edge (its visible part, below the banner);
/// - horizontally, from the box's left edge, pushed left at the frame's right edge and right at its left
///   edge (a box wider than the frame puts it at column 0).
///
/// When that place overlaps a tag placed before, the tag tries inside the top edge, below the bottom
/// edge, and inside the bottom edge, in that order, and keeps the first place clear of the others
/// (else the first place): the most confident detections place their tags first.
public enum TagPlacement {
    /// The tag's rectangle for a `width` x `height` tag on `box` (which may reach outside the frame), on
    /// a frame of `frame` whose rows above `top` are the banner's. A tag larger than the frame (or than
    /// the room below the banner) is cut to it, so the caller should fit its text first.
    public static func rectangle(
        width: Int, height: Int, for box: PixelRect, in frame: ImageSize, below top: Int = 0, avoiding placed: [PixelRect] = []
    ) -> PixelRect {
        let width = max(0, min(width, frame.width))
        let top = max(0, min(top, frame.height - min(height, frame.height)))
        let height = max(0, min(height, frame.height - top))
        let x = max(0, min(box.x0, frame.width - width))
        // The rows a tag may start at: below the banner, and ending on the frame.
        let (lowest, highest) = (top, frame.height - height)
        func at(_ y: Int) -> PixelRect { PixelRect(x: x, y: max(lowest, min(y, highest)), width: width, height: height) }

        let above = box.y0 - height >= lowest ? at(box.y0 - height) : nil
        let insideTop = at(box.y0)
        let below = box.y1 <= highest ? at(box.y1) : nil
        let insideBottom = at(min(box.y1, frame.height) - height)
        let preferred = above ?? insideTop
        let candidates = [above, insideTop, below, insideBottom].compactMap { $0 }
        return candidates.first { candidate in !placed.contains { $0.overlaps(candidate) } } ?? preferred
    }
}
