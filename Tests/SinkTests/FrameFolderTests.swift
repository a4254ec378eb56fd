import Foundation
import LadonSink
import Shared
import TestSupport
import Testing

/// Finding a result's frame by its source name, and reading saved result files back for annotation.
@Suite struct FrameFolderTests {
    static let size = ImageSize(height: 48, width: 64)
    static let annotations = FrameAnnotations(
        size: size, top: ClassScore(classIndex: 0, name: "circle", probability: 0.5),
        objects: [DetectedObject(box: Box(x1: 8, y1: 20, x2: 30, y2: 40), label: 1, name: "circle", score: 0.75)])

    @Test func aFrameIsFoundByItsSourceNameAndComesBackAnnotatedAsAPNGOfItsSize() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let frame = PixelImage(size: Self.size, channels: 3, pixels: [UInt8](repeating: 200, count: 64 * 48 * 3))
        try Data(try PNG.encode(frame)).write(to: folder.appendingPathComponent("frame-7.png"))

        let annotated = try PNG.decode(try FrameFolder(path: folder.path).annotatedPNG(source: "frame-7.png", Self.annotations))
        #expect(annotated.size == Self.size && annotated.channels == 3)
        #expect(annotated != frame)
        #expect(annotated == (try AnnotationRenderer().render(Self.annotations, on: frame)))
    }

    @Test func aJPEGFrameIsDecodedWhateverItsName() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let jpeg = try FileIO.read(Fixtures.path("model/tiny-input.jpg"))
        try Data(jpeg).write(to: folder.appendingPathComponent("capture"))
        #expect(try FrameFolder(path: folder.path).frame(named: "capture") == (try JPEG.decode(jpeg)))
    }

    @Test func missingCorruptAndEscapingFramesAreTypedErrors() throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data([0xFF, 0xD8, 0xFF, 0x00, 0x01]).write(to: folder.appendingPathComponent("broken.jpg"))
        let frames = FrameFolder(path: folder.path)
        #expect { try frames.annotatedPNG(source: "absent.jpg", Self.annotations) } throws: { error in
            guard case .unreadableFrame(let reason)? = error as? AnnotationError else { return false }
            return reason.contains("absent.jpg")
        }
        #expect { try frames.annotatedPNG(source: "broken.jpg", Self.annotations) } throws: { error in
            guard case .undecodableFrame(let path, .corruptJPEG)? = error as? AnnotationError else { return false }
            return path.hasSuffix("broken.jpg")
        }
        for name in ["../broken.jpg", "sub/broken.jpg", "..", ""] {
            #expect(throws: AnnotationError.badSourceName(name)) { try frames.annotatedPNG(source: name, Self.annotations) }
        }
    }

    @Test func aSavedResultFileReadsBackTheAnnotationsOfItsResult() throws {
        let labels = (0..<64 * 48).map { UInt8($0 % 7 == 0 ? 2 : 0) }
        let result = ResultMessage(
            header: FrameHeader(nodeID: "cam-01", sequence: 3, captureTimeMicroseconds: 1, source: "val-00003.jpg"),
            model: ModelIdentity(backbone: "r", beta: 1, weightsHash: 1), originalSize: Self.size,
            tasks: TaskResults(
                classification: Classification(top: [
                    ClassScore(classIndex: 4, name: "ring", probability: 0.3125), ClassScore(classIndex: 1, name: "x", probability: 0.1),
                ]),
                detections: [DetectedObject(box: Box(x1: 1.25, y1: 2.3333333, x2: 40.1, y2: 47.99), label: 5, name: "ring", score: 0.87654321)],
                segmentation: SegmentationMap(size: Self.size, labels: labels, classNames: ["background", "a", "b"])))
        let saved = try ResultMessage(json: result.jsonData(), labels: (labels, Self.size))
        #expect(saved.header.source == "val-00003.jpg" && saved.error == nil)
        #expect(FrameAnnotations(saved) == FrameAnnotations(result))
        #expect(saved == result, "the document reads back into the Result it was written from")
    }

    @Test func aSavedResultWithAMisfitLabelMapOrNoFrameIsRefused() throws {
        let result = ResultMessage(
            header: FrameHeader(nodeID: "cam-01", sequence: 3, captureTimeMicroseconds: 1),
            model: ModelIdentity(backbone: "r", beta: 1, weightsHash: 1), originalSize: Self.size,
            tasks: TaskResults(segmentation: SegmentationMap(size: Self.size, labels: [UInt8](repeating: 0, count: 64 * 48), classNames: [])))
        let small = [UInt8](repeating: 0, count: 16)
        #expect(throws: ResultDocumentError.self) { try ResultMessage(json: result.jsonData(), labels: (small, ImageSize(height: 4, width: 4))) }
        #expect(throws: ResultDocumentError.notAResult) { try ResultMessage(json: Data("{\"stages\": []}".utf8), labels: nil) }
    }
}
