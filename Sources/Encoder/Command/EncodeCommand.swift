import Foundation
import LadonEncoder
import Shared

/// `ladon-encoder encode`: one JPEG in, one Latent message file out (what the device would send).
enum EncodeCommand {
    static let spec = CommandSpec(
        command: "ladon-encoder encode",
        summary: "Encode one JPEG into an entropy-coded Latent message file.",
        options: [
            .value("model", "path", help: "Ladon model file (tools/convert.py).", required: true),
            .value("image", "path", help: "JPEG image to encode.", required: true),
            .value("out", "path", help: "Where to write the Latent message (protobuf).", required: true),
            .value("node-id", "name", help: "Node id recorded in the message (default 'local')."),
            .value("sequence", "n", help: "Sequence number recorded in the message (default 0)."),
            .value("threads", "n", help: "Compute threads (default 1: a device core)."),
            .value("dump-input", "path", help: "Also write the preprocessed input as safetensors (tensor 'tensor')."),
            .value("dump-latent", "path", help: "Also write the unquantised latent as safetensors (tensor 'tensor')."),
        ])

    static func run(_ arguments: [String]) throws {
        let options = try spec.parse(arguments)
        Compute.setThreads(try options.integer("threads", default: 1))
        let encoder = try MobileEncoder(LadonModelFile(path: options.required("model")))
        let jpeg = try FileIO.read(options.required("image"), what: "image", limit: 64 << 20)
        let header = FrameHeader(
            nodeID: options.value("node-id") ?? "local", sequence: UInt64(try options.integer("sequence", default: 0)),
            captureTimeMicroseconds: PipelineClock.wallMicroseconds(),
            source: URL(fileURLWithPath: options.required("image")).lastPathComponent)
        let output = try encoder.encode(jpeg: jpeg, header: header)
        try FileIO.write(output.message.serialized(), to: options.required("out"), what: "latent")
        if let path = options.value("dump-input") { try dump(output.input, to: path) }
        if let path = options.value("dump-latent") { try dump(output.latent, to: path) }
        let shape = output.message.latentShape.map(String.init).joined(separator: "x")
        let times = output.timings.stages.map { "\($0.stage) \(String(format: "%.1f", $0.milliseconds)) ms" }
        FileHandle.standardError.write(
            Data(
                "latent \(shape), \(output.message.coded.count) coded bytes; \(times.joined(separator: ", "))\n".utf8))
    }

    private static func dump(_ tensor: Tensor, to path: String) throws {
        var writer = SafeTensorsWriter()
        writer.add("tensor", tensor)
        try FileIO.write(writer.serialized(), to: path, what: "tensor dump")
    }
}
