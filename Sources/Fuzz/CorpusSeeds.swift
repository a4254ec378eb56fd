import Foundation
import Shared

/// The committed seed corpus (Tests/Fixtures/fuzz/<target>/), made from valid messages, coded latents,
/// the test JPEGs and safetensors files, plus a few inputs at each limit: `ladon-fuzz corpus` writes
/// them, FuzzTests checks the committed files are what this makes. Everything here is integer work or
/// bytes from fixtures, so the seeds are the same on every machine.
public enum CorpusSeeds {
    public struct Seed: Sendable {
        public let name: String
        public let bytes: [UInt8]
    }

    /// The seeds of `target`, named for what they hold.
    public static func seeds(for target: FuzzTarget) throws -> [Seed] {
        switch target {
        case .envelope: try envelopeSeeds()
        case .rans: try ransSeeds()
        case .jpeg: try jpegSeeds()
        case .mjpeg: try mjpegSeeds()
        case .safetensors: try safetensorsSeeds()
        }
    }

    static func fixture(_ relative: String) -> String {
        FuzzFixtures.repositoryRoot.appendingPathComponent("Tests/Fixtures/\(relative)").path
    }

    static func imageFixtureJPEG(_ name: String) throws -> [UInt8] {
        try SafeTensorsFile(path: fixture("image/\(name).safetensors")).uint8s("jpeg")
    }

    // MARK: envelope: [kind index][payload]

    static func envelopeSeeds() throws -> [Seed] {
        let latent = try tinyLatent(height: 13, width: 11)
        let model = latent.model
        let header = FrameHeader(
            nodeID: "cam-01", sequence: 42, captureTimeMicroseconds: 1_790_000_000_000_000, source: "val-00003.jpg", droppedBefore: 2)
        let labels: [UInt8] = (0..<63).map { $0 < 20 ? 0 : ($0 < 40 ? 3 : 1) }
        let result = ResultMessage(
            header: header, model: model, originalSize: ImageSize(height: 7, width: 9),
            tasks: TaskResults(
                classification: Classification(top: [
                    ClassScore(classIndex: 3, name: "class3", probability: 0.625), ClassScore(classIndex: 1, name: "class1", probability: 0.125),
                ]),
                detections: [DetectedObject(box: Box(x1: 1.5, y1: 2, x2: 8.25, y2: 6.75), label: 2, name: "cat", score: 0.875)],
                segmentation: SegmentationMap(
                    size: ImageSize(height: 7, width: 9), labels: labels, classNames: ["background", "sky", "ground", "animal", "thing"])),
            timings: [StageTiming(stage: "node_to_edge", milliseconds: 41.5), StageTiming(stage: "trunk", milliseconds: 97)],
            latentBytes: UInt64(latent.coded.count))
        let failed = ResultMessage(
            header: header, model: model, originalSize: ImageSize(height: 7, width: 9),
            timings: [StageTiming(stage: "node_to_edge", milliseconds: 1)], error: "latent: coded latent has 3 bytes")
        let controls: [(String, ControlMessage)] = [
            ("hello-node", .hello(.init(peerID: "cam-01", role: .node, model: model, window: 3, incarnation: 0xFEED_FACE))),
            ("hello-worker", .hello(.init(peerID: "worker-1", role: .worker, incarnation: 7))),
            ("hello-sink", .hello(.init(peerID: "sink", role: .sink, incarnation: 1))),
            ("bye", .bye(.init(peerID: "cam-01", reason: "end of stream"))),
            ("credit", .credit(.init(nodeID: "cam-01", grants: 2))),
            ("ready", .ready(.init(workerID: "worker-1", capacity: 1))),
            ("heartbeat", .heartbeat(.init(peerID: "worker-1", sequence: 9, timeMicroseconds: 1_790_000_000_000_000))),
        ]
        let timings = [StageTiming(stage: "node_to_edge", milliseconds: 3.25), StageTiming(stage: "edge_queue", milliseconds: 0.5)]
        var kept = result
        kept.latent = latent.serialized()
        func seed<Message: WireMessage>(_ name: String, _ message: Message) -> Seed {
            let index = MessageKind.allCases.firstIndex(of: Message.kind) ?? 0
            return Seed(name: name, bytes: [UInt8(index)] + message.serialized())
        }
        return [
            seed("frame", FrameMessage(header: header, jpeg: try FileIO.read(fixture("stream/strip-24x480.jpg")))),
            seed("latent", latent),
            seed("result", result),
            seed("result-error", failed),
            seed("result-latent", kept),
            seed("job", JobMessage(latent: latent.serialized(), stagesBefore: timings)),
            seed("job-keep-latent", JobMessage(latent: latent.serialized(), stagesBefore: timings, keepsLatent: true)),
            seed("answer", AnswerMessage(result)),
            seed("answer-error", AnswerMessage(failed)),
        ] + controls.map { seed("control-\($0.0)", $0.1) }
    }

    /// A Latent of the tiny model for a `height`x`width` latent (an input of 4·(side + 1)), its
    /// symbols a fixed pattern around zero.
    static func tinyLatent(height: Int, width: Int) throws -> LatentMessage {
        let input = ImageSize(height: 4 * (height + 1), width: 4 * (width + 1))
        return LatentMessage(
            header: FrameHeader(nodeID: "cam-01", sequence: 42, captureTimeMicroseconds: 1_790_000_000_000_000),
            model: try ModelIdentity(LadonModelFile(path: FuzzFixtures.modelPath)),
            originalSize: ImageSize(height: input.height * 2, width: input.width * 2), inputSize: input, resizedSize: input,
            latentShape: [FuzzFixtures.coder.channels, height, width],
            coded: try FuzzFixtures.coder.encode(symbols: symbols(FuzzFixtures.coder.channels * height * width, seed: 1)))
    }

    /// Small values with an occasional large one, as a latent's symbols are (the large ones take the escape).
    static func symbols(_ count: Int, seed: UInt64) -> [Int32] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let draw = generator.next()
            return draw % 29 == 0 ? Int32(truncatingIfNeeded: draw >> 40) % 5000 - 2500 : Int32(draw % 7) - 3
        }
    }

    // MARK: rans: [size byte: width − 1 high nibble, height − 1 low nibble][coded bytes]

    static func ransSeeds() throws -> [Seed] {
        let coder = FuzzFixtures.coder
        let shapes = [(1, 1), (1, 7), (3, 2), (4, 4), (6, 9), (16, 16)]
        var seeds = try shapes.enumerated().map { index, shape in
            let (height, width) = shape
            let coded = try coder.encode(symbols: symbols(coder.channels * height * width, seed: UInt64(index)))
            return Seed(name: "latent-\(height)x\(width)", bytes: [UInt8((width - 1) << 4 | (height - 1))] + coded)
        }
        let zeros = try coder.encode(symbols: [Int32](repeating: 0, count: coder.channels * 64))
        seeds.append(Seed(name: "zeros-8x8", bytes: [0x77] + zeros))
        let extremes = try coder.encode(symbols: (0..<coder.channels * 4).map { [Int32.max / 2, Int32.min / 2, 1 << 20, -(1 << 20)][$0 % 4] })
        seeds.append(Seed(name: "escapes-2x2", bytes: [0x11] + extremes))
        return seeds
    }

    // MARK: jpeg

    static func jpegSeeds() throws -> [Seed] {
        let names = [
            "jpeg_420_odd_37x23", "jpeg_422_33x19", "jpeg_444_29x17", "jpeg_grey_31x21", "jpeg_progressive_420_45x27",
            "jpeg_progressive_444_19x30", "cmyk_jpeg_8x8",
        ]
        var seeds = try names.map { Seed(name: $0, bytes: try imageFixtureJPEG($0)) }
        seeds.append(Seed(name: "strip-24x480", bytes: try FileIO.read(fixture("stream/strip-24x480.jpg"))))
        seeds.append(Seed(name: "header-60000x60000", bytes: headerOnlyJPEG(width: 60000, height: 60000)))
        let progressive = try imageFixtureJPEG("jpeg_progressive_444_19x30")
        seeds.append(Seed(name: "progressive-300-scans", bytes: repeatingFirstScan(progressive, copies: 300 - scanRanges(progressive).count)))
        return seeds
    }

    /// SOI, a baseline SOF0 of three components, SOS, EOI: a header without tables or data.
    static func headerOnlyJPEG(width: Int, height: Int) -> [UInt8] {
        let sof: [UInt8] = [
            0xFF, 0xC0, 0x00, 0x11, 0x08, UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF), 0x03,
            0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
        ]
        return [0xFF, 0xD8] + sof + [0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3F, 0x00, 0x00, 0x00, 0xFF, 0xD9]
    }

    /// Each scan of a JPEG: from its SOS marker to the end of its entropy-coded data.
    static func scanRanges(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var index = 2
        while index + 4 <= bytes.count, bytes[index] == 0xFF, bytes[index + 1] != 0xD9 {
            var end = index + 2 + (Int(bytes[index + 2]) << 8 | Int(bytes[index + 3]))
            if bytes[index + 1] == 0xDA {
                while end + 1 < bytes.count, bytes[end] != 0xFF || bytes[end + 1] == 0x00 || (0xD0...0xD7).contains(bytes[end + 1]) {
                    end += bytes[end] == 0xFF ? 2 : 1
                }
                ranges.append(index..<end)
            }
            index = end
        }
        return ranges
    }

    /// The JPEG with `copies` more copies of its first scan right after it (a scan-count bomb).
    static func repeatingFirstScan(_ bytes: [UInt8], copies: Int) -> [UInt8] {
        guard let first = scanRanges(bytes).first else { return bytes }
        return Array(bytes[..<first.upperBound]) + (0..<copies).flatMap { _ in bytes[first] } + Array(bytes[first.upperBound...])
    }

    // MARK: mjpeg: streams of whole, cut, oversized and nested frames

    static func mjpegSeeds() throws -> [Seed] {
        let small = try imageFixtureJPEG("jpeg_444_29x17")
        let grey = try imageFixtureJPEG("jpeg_grey_31x21")
        let large = try imageFixtureJPEG("jpeg_progressive_420_45x27")
        let garbage: [UInt8] = [0x00, 0x11, 0xFF, 0x22, 0xFF]
        // An APP1 segment holding a whole JPEG, as an EXIF thumbnail does.
        let thumbnail = [0xFF, 0xD8, 0xFF, 0xE1, UInt8((grey.count + 2) >> 8), UInt8((grey.count + 2) & 0xFF)] + grey + small.dropFirst(2)
        let oversized = repeatingFirstScan(large, copies: 2 * MJPEGTarget.maximumFrameBytes / max(1, scanRanges(large).first?.count ?? 1))
        return [
            Seed(name: "three-frames", bytes: small + grey + small),
            Seed(name: "garbage-between-frames", bytes: garbage + small + garbage + grey + garbage),
            Seed(name: "cut-frame", bytes: Array(small.prefix(small.count / 2)) + grey),
            Seed(name: "thumbnail", bytes: thumbnail + small),
            Seed(name: "oversized-then-small", bytes: oversized + small),
            Seed(name: "progressive", bytes: large + grey),
        ]
    }

    // MARK: safetensors

    static func safetensorsSeeds() throws -> [Seed] {
        var writer = SafeTensorsWriter(metadata: ["source": "ladon-fuzz corpus"])
        writer.add("weight", Tensor(shape: [2, 3], scalars: [1, -2, 3.5, 0, 0.25, -1]))
        writer.add("_cdf_length", int32s: [3, 4], shape: [2])
        writer.add("empty", Tensor(zeros: [0, 4]))
        var model = SafeTensorsWriter(metadata: try SafeTensorsFile(path: FuzzFixtures.modelPath).metadata)
        model.add("encoder.entropy_bottleneck._offset", int32s: [-3, -4, -2, -5], shape: [4])
        let file = [UInt8](writer.serialized())
        return [
            Seed(name: "tensors", bytes: file),
            Seed(name: "architecture", bytes: [UInt8](model.serialized())),
            Seed(name: "codec-two-elements", bytes: try FileIO.read(fixture("codec/two_elements_c2_1x1.safetensors"))),
            Seed(name: "image-u8-jpeg", bytes: try FileIO.read(fixture("image/cmyk_jpeg_8x8.safetensors"))),
            Seed(name: "truncated", bytes: Array(file.prefix(file.count - 5))),
            Seed(name: "header-only", bytes: [0x02, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D]),
        ]
    }
}
