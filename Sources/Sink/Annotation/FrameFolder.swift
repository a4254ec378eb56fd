import Foundation
import Shared

/// The folder of source frames a pipeline ran on, where a result's `source` name finds its frame
/// again to draw the result on.
public struct FrameFolder: Sendable {
    public let path: String
    public let renderer: AnnotationRenderer

    public init(path: String, renderer: AnnotationRenderer = AnnotationRenderer()) {
        self.path = path
        self.renderer = renderer
    }

    /// The frame named `source` (a JPEG or PNG file in the folder) with `annotations` drawn on it, as PNG.
    public func annotatedPNG(source: String, _ annotations: FrameAnnotations) throws(AnnotationError) -> [UInt8] {
        let image = try frame(named: source)
        let annotated = try renderer.render(annotations, on: image)
        do throws(ImageError) {
            return try PNG.encode(annotated)
        } catch {
            throw .cannotEncode(error)
        }
    }

    /// Decodes the frame by its leading bytes, so a name's extension need not match its content.
    public func frame(named source: String) throws(AnnotationError) -> PixelImage {
        guard !source.isEmpty, !source.contains("/"), source != ".", source != ".." else { throw .badSourceName(source) }
        let file = URL(fileURLWithPath: path).appendingPathComponent(source).path
        let bytes: [UInt8]
        do throws(FileError) {
            bytes = try FileIO.read(file, what: "frame", limit: FrameMessage.maximumSize)
        } catch {
            throw .unreadableFrame(reason: "\(error)")
        }
        let image: PixelImage
        do throws(ImageError) {
            image = bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) ? try PNG.decode(bytes) : try JPEG.decode(bytes)
        } catch {
            throw .undecodableFrame(path: file, error)
        }
        return image.channels == 2 || image.channels == 4 ? Self.droppingAlpha(image) : image
    }

    /// Grey+alpha → grey, RGBA → RGB: annotations are drawn on the opaque frame.
    static func droppingAlpha(_ image: PixelImage) -> PixelImage {
        let kept = image.channels - 1
        var pixels = [UInt8]()
        pixels.reserveCapacity(image.size.width * image.size.height * kept)
        for start in stride(from: 0, to: image.pixels.count, by: image.channels) {
            pixels.append(contentsOf: image.pixels[start..<start + kept])
        }
        return PixelImage(size: image.size, channels: kept, pixels: pixels)
    }
}
