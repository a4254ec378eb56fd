import Foundation
import LadonEdge
import Shared

/// `ladon-edge infer`: one Latent message file in, the three heads' answers out as JSON (and the
/// segmentation label map as an 8-bit PNG).
enum InferCommand {
    static let spec = CommandSpec(
        command: "ladon-edge infer",
        summary: "Decode one Latent message file and run the trunk and every head of the model.",
        options: [
            .value("model", "path", help: "Ladon model file (tools/convert.py).", required: true),
            .value("latent", "path", help: "Latent message written by 'ladon-encoder encode'.", required: true),
            .value("json", "path", help: "Where to write the results as JSON ('-' for stdout).", required: true),
            .value("mask", "path", help: "Also write the segmentation label map (8-bit PNG, original size)."),
            .value("threads", "n", help: "Compute threads (default 2)."),
        ])

    static func run(_ arguments: [String]) throws {
        let options = try spec.parse(arguments)
        Compute.setThreads(try options.integer("threads", default: 2))
        let inference = try EdgeInference(LadonModelFile(path: options.required("model")))
        let bytes = try FileIO.read(options.required("latent"), what: "latent", limit: 16 << 20)
        let result = try inference.infer(try LatentMessage(serialized: bytes))
        let json = result.jsonData() + Data("\n".utf8)
        if options.required("json") == "-" {
            FileHandle.standardOutput.write(json)
        } else {
            try FileIO.write(json, to: options.required("json"), what: "result JSON")
        }
        if let path = options.value("mask") {
            guard let map = result.tasks.segmentation else {
                throw CommandLineError.invalidValue(option: "mask", value: path, expected: "a model with a segmentation head")
            }
            try FileIO.write(PNG.encode(PixelImage(size: map.size, channels: 1, pixels: map.labels)), to: path, what: "mask")
        }
    }
}
