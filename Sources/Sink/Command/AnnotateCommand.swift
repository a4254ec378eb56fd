import Foundation
import LadonSink
import Shared

/// `ladon-sink annotate`: the annotated images `serve --frames` writes, made afterwards from the result
/// files `serve --out` saved.
enum AnnotateCommand {
    static let spec = CommandSpec(
        command: "ladon-sink annotate",
        summary: "Draw saved results (serve --out) on their source frames as <node>-<seq>-annotated.png.",
        options: [
            .value("results", "dir", help: "Folder of result files written by 'ladon-sink serve --out'.", required: true),
            .value("frames", "dir", help: "The folder ingest read (each result names its frame).", required: true),
            .value("out", "dir", help: "Where the annotated images go (default: the results folder)."),
            .value("min-score", "score", help: "Smallest detection score drawn (default 0.5)."),
        ])

    static func run(_ arguments: [String]) throws {
        let options = try spec.parse(arguments)
        let results = options.required("results")
        let out = options.value("out") ?? results
        let frames = FrameFolder(path: try folder(options, "frames"), renderer: try renderer(options))
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: results).filter { $0.hasSuffix(".json") }.sorted()
        } catch {
            throw AnnotateFailure.unreadableFolder(results)
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let log = Logger(label: "ladon-sink")
        var (written, failed, skipped) = (0, 0, 0)
        for name in names {
            let stem = String(name.dropLast(5))
            do {
                guard let result = try savedResult(stem, in: results), result.error == nil, !result.header.source.isEmpty else {
                    skipped += 1
                    continue
                }
                let png = try frames.annotatedPNG(source: result.header.source, FrameAnnotations(result))
                try FileIO.write(
                    png, to: URL(fileURLWithPath: out).appendingPathComponent("\(stem)-annotated.png").path,
                    what: "annotated frame")
                written += 1
            } catch {
                failed += 1
                log.warning("cannot annotate", ["result": name, "error": "\(error)"])
            }
        }
        print("ladon-sink annotate: written=\(written) failed=\(failed) skipped=\(skipped) out=\(out)")
        if failed > 0 { throw AnnotateFailure.someFailed(failed, of: written + failed) }
    }

    /// The result `<stem>.json` with its label map, or `nil` for a JSON file that is not a result (a topology).
    static func savedResult(_ stem: String, in folder: String) throws -> ResultMessage? {
        let base = URL(fileURLWithPath: folder).appendingPathComponent(stem).path
        let json = Data(try FileIO.read(base + ".json", what: "result file", limit: 256 << 20))
        let labelsPath = base + "-labels.png"
        var labels: (labels: [UInt8], size: ImageSize)?
        if FileManager.default.fileExists(atPath: labelsPath) {
            let image = try PNG.decode(try FileIO.read(labelsPath, what: "label map"))
            guard image.channels == 1 else {
                throw AnnotationError.badResultFile(path: labelsPath, reason: "label map has \(image.channels) channels, expected 1")
            }
            labels = (image.pixels, image.size)
        }
        do throws(ResultDocumentError) {
            return try ResultMessage(json: json, labels: labels)
        } catch .notAResult {
            return nil
        } catch {
            throw AnnotationError.badResultFile(path: base + ".json", reason: "\(error)")
        }
    }

    /// The value of `option`, checked to be an existing folder.
    static func folder(_ options: ParsedArguments, _ option: String) throws(CommandLineError) -> String {
        let path = options.required(option)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .invalidValue(option: option, value: path, expected: "an existing folder")
        }
        return path
    }

    /// The renderer `--min-score` asks for.
    static func renderer(_ options: ParsedArguments) throws(CommandLineError) -> AnnotationRenderer {
        var style = AnnotationRenderer.Style()
        style.minimumScore = try options.number("min-score", default: style.minimumScore, expected: "a non-negative score") { $0 >= 0 }
        return AnnotationRenderer(style: style)
    }
}

/// Why `annotate` ends with status 1; one line each.
enum AnnotateFailure: Error, CustomStringConvertible {
    case unreadableFolder(String)
    case someFailed(Int, of: Int)

    var description: String {
        switch self {
        case let .unreadableFolder(path): return "cannot list result files in \(path)"
        case let .someFailed(failed, total): return "\(failed) of \(total) results could not be annotated (see the warnings above)"
        }
    }
}
