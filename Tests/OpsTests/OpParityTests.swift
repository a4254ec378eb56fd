import Foundation
import Shared
import TestSupport
import Testing

/// Every op in Sources/Shared/Ops against PyTorch, torchvision and compressai on the fixtures that
/// tools/make_op_fixtures.py writes: one file per case, its parameters in the "case" metadata.
/// Serialized: each case sets the engine's thread count, which is global.
@Suite(.serialized) struct OpParityTests {
    static let cases = Fixtures.cases(in: "ops")

    @Test func theFixturesCoverEveryOp() throws {
        var ops: Set<String> = []
        for name in Self.cases {
            let (_, parameters) = try Fixtures.open("ops", name)
            ops.insert(parameters["op"] as? String ?? "?")
        }
        #expect(ops == OpCase.Kind.allNames, "fixture ops \(ops.sorted())")
    }

    /// Our loops split planes and channels across threads; the split must not change any result. Two
    /// threads go first: tensors reuse pooled buffers, so an earlier run of the same case could leave the
    /// right answer in memory that a faulty split never writes.
    @Test(arguments: cases)
    func opMatchesPyTorchOnTwoThreadsAndOne(_ name: String) throws {
        let previous = Compute.threads
        defer { Compute.setThreads(previous) }
        for threads in [2, 1] {
            Compute.setThreads(threads)
            try Self.check(name, label: "\(name) (\(threads) thread\(threads == 1 ? "" : "s"))")
        }
    }

    static func check(_ name: String, label: String) throws {
        let fixture = try OpCase(name)
        switch fixture.kind {
        case .conv2d, .conv2dBatchNorm:
            let conv = try fixture.convolution()
            // Every algorithm that applies to the case: im2col GEMM always, Winograd for 3x3 and 2x2 stride-1 ones
            // (both variants for the kernel, whichever the layer gets by default), polyphase for strided undilated
            // ungrouped ones.
            var runs: [(Conv2d, ConvAlgorithm, String)] = [(conv, .gemm, "gemm")]
            if let defaultVariant = conv.winogradVariant {
                let variants: [WinogradVariant] =
                    switch defaultVariant {
                    case .output3Kernel2, .output5Kernel2: [.output3Kernel2, .output5Kernel2]
                    case .output2Kernel3, .output4Kernel3: [.output2Kernel3, .output4Kernel3]
                    }
                for variant in variants {
                    runs.append((try fixture.convolution(winogradVariant: variant), .winograd, "winograd \(variant)"))
                }
            }
            if conv.supportsPolyphase { runs.append((conv, .polyphase, "polyphase")) }
            for (conv, algorithm, name) in runs {
                let output = conv(
                    try fixture.tensor("input"), adding: try fixture.optionalTensor("residual"),
                    algorithm: algorithm)
                expectClose(output, try fixture.tensor("expected"), atol: 2e-5, rtol: 1e-4, "\(label) \(name)")
            }
        case .gdn:
            let gdn = GDN(
                beta: try fixture.tensor("beta"), gamma: try fixture.tensor("gamma"),
                inverse: try fixture.bool("inverse"))
            // One panel, then panels of 10 pixels: the fixture's 63-pixel planes end in a partial one.
            for panelPixels in [nil, 10] {
                expectClose(
                    gdn(try fixture.tensor("input"), panelPixels: panelPixels), try fixture.tensor("expected"),
                    atol: 1e-5, rtol: 1e-4, label + (panelPixels.map { " in panels of \($0) pixels" } ?? ""))
            }
        case .gdnConv2d:
            let gdn = GDN(beta: try fixture.tensor("beta"), gamma: try fixture.tensor("gamma"), inverse: false)
            let conv = try fixture.convolution()
            // Fused into the polyphase split in one panel and in panels of one and two rows (the fixture's 13 rows
            // end in a partial one), and GDN first under im2col.
            let runs: [(ConvAlgorithm, panelRows: Int?)] = [(.polyphase, nil), (.polyphase, 1), (.polyphase, 2), (.gemm, nil)]
            for (algorithm, panelRows) in runs {
                let output = conv(try fixture.tensor("input"), normalizedBy: gdn, algorithm: algorithm, panelRows: panelRows)
                expectClose(
                    output, try fixture.tensor("expected"), atol: 2e-5, rtol: 1e-4,
                    "\(label) \(algorithm)" + (panelRows.map { " in panels of \($0) rows" } ?? ""))
            }
        case .convGdnConv2d:
            let first = Conv2d(
                weight: try fixture.tensor("first_weight"), bias: try fixture.optionalTensor("first_bias"),
                geometry: .init(
                    stride: try fixture.int("first_stride"),
                    padding: try fixture.int("first_padding")),
                activation: fixture.parameters["first_activation"] as? String == "relu" ? .relu : .none)
            let gdn = GDN(beta: try fixture.tensor("beta"), gamma: try fixture.tensor("gamma"), inverse: false)
            let conv = try fixture.convolution()
            // A panel of rows at a time through all three (one panel, one-row and three-row panels), and one after
            // the other under im2col.
            let runs: [(ConvAlgorithm, panelRows: Int?)] = [(.polyphase, nil), (.polyphase, 1), (.polyphase, 3), (.gemm, nil)]
            for (algorithm, panelRows) in runs {
                let output = conv(
                    try fixture.tensor("input"), after: first, normalizedBy: gdn, algorithm: algorithm,
                    panelRows: panelRows)
                expectClose(
                    output, try fixture.tensor("expected"), atol: 2e-5, rtol: 1e-4,
                    "\(label) \(algorithm)" + (panelRows.map { " in panels of \($0) rows" } ?? ""))
            }
        case .relu:
            expectClose(try fixture.tensor("input").relu(), try fixture.tensor("expected"), atol: 0, rtol: 0, label)
        case .maxPool:
            let output = Pooling.maxPool(
                try fixture.tensor("input"), kernel: try fixture.int("kernel"),
                stride: try fixture.int("stride"), padding: try fixture.int("padding"))
            expectClose(output, try fixture.tensor("expected"), atol: 0, rtol: 0, label)
        case .avgPool:
            let output = Pooling.avgPool(
                try fixture.tensor("input"), kernel: try fixture.int("kernel"),
                stride: try fixture.int("stride"), padding: try fixture.int("padding"),
                ceilMode: fixture.parameters["ceil_mode"] as? Bool ?? false,
                countIncludePad: fixture.parameters["count_include_pad"] as? Bool ?? true)
            expectClose(output, try fixture.tensor("expected"), atol: 1e-6, rtol: 1e-5, label)
        case .splitAttention:
            let attention = try fixture.splitAttention()
            expectClose(attention(try fixture.tensor("input")), try fixture.tensor("expected"), atol: 2e-5, rtol: 1e-4, label)
        case .adaptiveAvgPool:
            let size = try fixture.ints("output")
            let output = Pooling.adaptiveAvgPool(try fixture.tensor("input"), outputHeight: size[0], outputWidth: size[1])
            expectClose(output, try fixture.tensor("expected"), atol: 1e-6, rtol: 1e-5, label)
        case .softmax:
            let logits = try fixture.tensor("input")
            let columns = logits.dim(1)
            let rows = (0..<logits.dim(0)).flatMap { row in
                softmax(Array(logits.scalars[row * columns..<(row + 1) * columns]))
            }
            expectClose(
                Tensor(shape: logits.shape, scalars: rows), try fixture.tensor("expected"),
                atol: 1e-7, rtol: 1e-5, label)
        case .linear:
            let linear = Linear(weight: try fixture.tensor("weight"), bias: try fixture.optionalTensor("bias"))
            expectClose(linear(try fixture.tensor("input")), try fixture.tensor("expected"), atol: 1e-5, rtol: 1e-4, label)
        case .concatenate:
            let parts = try (0..<fixture.int("parts")).map { try fixture.tensor("part\($0)") }
            expectClose(Tensor.concatenateChannels(parts), try fixture.tensor("expected"), atol: 0, rtol: 0, label)
        case .broadcast:
            let size = try fixture.ints("output")
            let output = try fixture.tensor("input").broadcastSpatially(height: size[0], width: size[1])
            // PyTorch blends the one source pixel with itself ((1 − λ)·x + λ·x), which can be 1 ulp off x.
            expectClose(output, try fixture.tensor("expected"), atol: 0, rtol: 2e-7, label)
        case .topk:
            let values = try fixture.tensor("input").scalars
            let indices = topK(values, k: try fixture.int("k"))
            #expect(indices == (try fixture.file.int32s("expected_indices")).map(Int.init), "\(label): top-k indices")
            let picked = Tensor(shape: [indices.count], scalars: indices.map { values[$0] })
            expectClose(picked, try fixture.tensor("expected"), atol: 0, rtol: 0, "\(label): top-k values")
            #expect(topK(values, k: 1) == (try fixture.file.int32s("expected_argmax")).map(Int.init), "\(label): argmax")
        }
    }
}

/// One fixture file and its parsed "case" parameters.
struct OpCase {
    enum Kind: String, CaseIterable {
        case conv2d
        case conv2dBatchNorm = "conv2d_batchnorm"
        case gdn
        case gdnConv2d = "gdn_conv2d"
        case convGdnConv2d = "conv_gdn_conv2d"
        case relu
        case maxPool = "max_pool"
        case avgPool = "avg_pool"
        case adaptiveAvgPool = "adaptive_avg_pool"
        case splitAttention = "split_attention"
        case softmax, linear, concatenate, broadcast, topk

        static var allNames: Set<String> { Set(allCases.map(\.rawValue)) }
    }

    struct BadCase: Error, CustomStringConvertible {
        let description: String
    }

    let name: String
    let file: SafeTensorsFile
    let parameters: [String: Any]
    let kind: Kind

    init(_ name: String) throws {
        (file, parameters) = try Fixtures.open("ops", name)
        self.name = name
        guard let op = parameters["op"] as? String, let kind = Kind(rawValue: op) else {
            throw BadCase(description: "\(name): unknown op \(parameters["op"] ?? "none")")
        }
        self.kind = kind
    }

    func tensor(_ key: String) throws -> Tensor { try file.tensor(key) }

    func optionalTensor(_ key: String) throws -> Tensor? { file.entries[key] == nil ? nil : try file.tensor(key) }

    func int(_ key: String) throws -> Int {
        guard let value = parameters[key] as? Int else { throw BadCase(description: "\(name): no integer '\(key)'") }
        return value
    }

    func ints(_ key: String) throws -> [Int] {
        guard let value = parameters[key] as? [Int] else { throw BadCase(description: "\(name): no integers '\(key)'") }
        return value
    }

    func bool(_ key: String) throws -> Bool {
        guard let value = parameters[key] as? Bool else { throw BadCase(description: "\(name): no flag '\(key)'") }
        return value
    }

    /// timm's `SplitAttn` of the case: its grouped 3x3 convolution with bn0, fc1 with bn1, fc2.
    func splitAttention() throws -> SplitAttention {
        guard let eps = parameters["eps"] as? Double else { throw BadCase(description: "\(name): no eps") }
        let radix = try int("radix")
        func norm(_ prefix: String) throws -> BatchNormParameters {
            BatchNormParameters(
                weight: try tensor("\(prefix)_weight"), bias: try tensor("\(prefix)_bias"),
                runningMean: try tensor("\(prefix)_running_mean"), runningVar: try tensor("\(prefix)_running_var"), eps: Float(eps))
        }
        let conv = Conv2d(weight: try tensor("conv_weight"), geometry: ConvGeometry(padding: 1, groups: radix))
        let fc1 = Conv2d(weight: try tensor("fc1_weight"), bias: try tensor("fc1_bias"))
        return SplitAttention(
            conv: conv.foldingBatchNorm(try norm("bn0")).with(activation: .relu),
            fc1: fc1.foldingBatchNorm(try norm("bn1")).with(activation: .relu),
            fc2: Conv2d(weight: try tensor("fc2_weight"), bias: try tensor("fc2_bias")), radix: radix)
    }

    /// The case's `nn.Conv2d`, with its eval-mode batch norm folded in for `conv2d_batchnorm`.
    func convolution(winogradVariant: WinogradVariant? = nil) throws -> Conv2d {
        let (stride, padding, dilation) = (try ints("stride"), try ints("padding"), try ints("dilation"))
        let geometry = ConvGeometry(
            stride: (stride[0], stride[1]), padding: (padding[0], padding[1]),
            dilation: (dilation[0], dilation[1]), groups: try int("groups"))
        let activation: Activation = parameters["activation"] as? String == "relu" ? .relu : .none
        let conv = Conv2d(
            weight: try tensor("weight"), bias: try optionalTensor("bias"), geometry: geometry,
            activation: activation, winogradVariant: winogradVariant)
        guard kind == .conv2dBatchNorm else { return conv }
        guard let eps = parameters["eps"] as? Double else { throw BadCase(description: "\(name): no eps") }
        return conv.foldingBatchNorm(
            BatchNormParameters(
                weight: try tensor("bn_weight"), bias: try tensor("bn_bias"), runningMean: try tensor("running_mean"),
                runningVar: try tensor("running_var"), eps: Float(eps)))
    }
}
