import Foundation
import Shared

/// Times our entropy coder on the frame latent that tools/bench_codec_reference.py wrote (tables, latent,
/// compressai's bytes and its one-thread timings), checks the bytes are compressai's, and returns a
/// table: ms, bytes, MB/s of float latent, ratio to compressai. The coder is single-threaded.
func codecTiming(framePath: String, runs: Int) throws -> String {
    let file = try SafeTensorsFile(path: framePath)
    let bottleneck = try EntropyBottleneck(
        medians: try file.tensor("medians").scalars, quantizedCDF: try file.int32s("quantized_cdf"),
        cdfLength: try file.int32s("cdf_length"), offset: try file.int32s("offset"))
    let latent = try file.tensor("latent")
    let reference = try file.uint8s("bytes")
    let (height, width) = (latent.dim(2), latent.dim(3))
    let bytes = try bottleneck.compress(latent)
    guard bytes == reference,
        try bottleneck.decompress(bytes, height: height, width: width).scalars
            == (try file.tensor("decoded")).scalars
    else { throw CodecError.corruptStream(size: bytes.count) }

    let compress = measure("compress", runs: runs) { _ = try? bottleneck.compress(latent) }
    let decompress = measure("decompress", runs: runs) { _ = try? bottleneck.decompress(bytes, height: height, width: width) }
    let metadata = file.metadata["case"].flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any]
    let peer = metadata?["reference"] as? [String: Any]
    let megabytes = Double(latent.count * 4) / 1e6
    var lines = [
        "latent \(latent.shape), \(bytes.count) bytes (identical to compressai's)",
        "stage        ours ms   MB/s     compressai ms  ratio",
    ]
    for (timing, key) in [(compress, "compress_ms"), (decompress, "decompress_ms")] {
        let ours = timing.medianMilliseconds
        var line =
            timing.stage.padding(toLength: 12, withPad: " ", startingAt: 0)
            + String(format: "%8.3f %8.1f", ours, megabytes / ours * 1e3)
        if let theirs = peer?[key] as? Double {
            line += String(format: "   %10.2f    %.4f", theirs, ours / theirs)
        }
        lines.append(line)
    }
    return lines.joined(separator: "\n")
}
