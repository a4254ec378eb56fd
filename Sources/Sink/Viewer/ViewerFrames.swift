import Foundation
import Shared

/// The viewer's pictures: a node's newest answered Result drawn as PNG on its source frame (found in
/// the frames folder by the Result's `source`), or, where the sink has no frames (the edge never sees
/// the image; a sink elsewhere has none), on a plain dark background of the frame's size, which the
/// mask and boxes still make legible.
public struct ViewerFrames: Sendable {
    /// The last picture drawn per node, so that several pages cost one drawing per frame.
    struct Cache {
        var pictures: [String: (sequence: UInt64, capture: Int64, png: [UInt8])] = [:]
    }

    let renderer: AnnotationRenderer
    let folder: FrameFolder?
    /// The grey drawn under a Result whose frame the sink does not have.
    public static let background: UInt8 = 40

    /// The PNG of `result`'s picture and whether it was drawn now (not taken from the cache).
    func png(_ result: ResultMessage, cache: inout Cache) throws(AnnotationError) -> (png: [UInt8], drawn: Bool) {
        let header = result.header
        if let cached = cache.pictures[header.nodeID], cached.sequence == header.sequence, cached.capture == header.captureTimeMicroseconds {
            return (cached.png, false)
        }
        let annotations = FrameAnnotations(result)
        let frame = try base(for: result)
        let drawn = try renderer.render(annotations, on: frame)
        let png: [UInt8]
        do throws(ImageError) {
            png = try PNG.encode(drawn)
        } catch {
            throw .cannotEncode(error)
        }
        cache.pictures[header.nodeID] = (header.sequence, header.captureTimeMicroseconds, png)
        return (png, true)
    }

    /// The source frame when the folder has it at the Result's size, else the plain background.
    private func base(for result: ResultMessage) throws(AnnotationError) -> PixelImage {
        let size = result.originalSize
        if let folder, !result.header.source.isEmpty, let frame = try? folder.frame(named: result.header.source), frame.size == size {
            return frame
        }
        guard size.width > 0, size.height > 0, size.width * size.height <= SegmentationMap.maximumPixels else {
            throw .unusableFrameSize(size)
        }
        return PixelImage(size: size, channels: 3, pixels: [UInt8](repeating: Self.background, count: size.width * size.height * 3))
    }
}
