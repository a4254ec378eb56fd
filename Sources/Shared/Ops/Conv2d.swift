/// Geometry of a 2-D convolution, PyTorch's `nn.Conv2d` arguments.
public struct ConvGeometry: Sendable, Equatable {
    public var stride: (Int, Int)
    public var padding: (Int, Int)
    public var dilation: (Int, Int)
    public var groups: Int

    public init(stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) {
        self.init(stride: (stride, stride), padding: (padding, padding), dilation: (dilation, dilation), groups: groups)
    }

    public init(stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int) {
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    public static func == (lhs: ConvGeometry, rhs: ConvGeometry) -> Bool {
        lhs.stride == rhs.stride && lhs.padding == rhs.padding && lhs.dilation == rhs.dilation
            && lhs.groups == rhs.groups
    }

    func outputSize(height: Int, width: Int, kernel: (Int, Int)) -> (Int, Int) {
        let h = (height + 2 * padding.0 - dilation.0 * (kernel.0 - 1) - 1) / stride.0 + 1
        let w = (width + 2 * padding.1 - dilation.1 * (kernel.1 - 1) - 1) / stride.1 + 1
        return (h, w)
    }
}

/// What happens to a convolution's output before it is stored: bias, a residual added, ReLU.
public enum Activation: Sendable { case none, relu }

/// How a convolution is computed. `automatic` takes Winograd (F(4×4, 3×3) or F(2×2, 3×3) for 3x3 kernels,
/// F(5×5, 2×2) for 2x2 ones) for stride-1 convolutions whose GEMMs it makes wide and deep enough
/// (`WinogradPlan.beatsIm2col`), polyphase GEMMs
/// (`PolyphaseFilter`) for strided ones whose kernel spans more than a stride and that have enough input
/// channels to make deep GEMMs, and im2col GEMM otherwise; tests force each.
public enum ConvAlgorithm: Sendable { case automatic, gemm, winograd, polyphase }

/// A 2-D convolution computed as GEMM (see `ConvPlan`); 1x1 stride-1 convolutions use the input as it is.
///
/// Layout: input [N, Cin, H, W] → output [N, Cout, Hout, Wout]; weight [Cout, Cin/groups, kh, kw] as in
/// PyTorch, kept packed tap-major ([Cout, kh, kw, Cin/groups]) for the kernels.
public struct Conv2d: Sendable {
    /// [Cout, Cin/groups, kh, kw], PyTorch's layout. Only the packed copy is kept (a second copy of every
    /// spatial kernel's weights would be ~120 MB of resident memory at the official size).
    public let weightShape: [Int]
    public let bias: Tensor?
    public let geometry: ConvGeometry
    public private(set) var activation: Activation
    let packedWeight: Tensor
    let winograd: WinogradFilter?
    let polyphase: PolyphaseFilter?

    /// The weights in PyTorch's layout, rebuilt from the packed copy (for folding and tests; not on the hot path).
    public var weight: Tensor { Self.unpackTapMajor(packedWeight, shape: weightShape) }
    public var outChannels: Int { weightShape[0] }
    /// Whether `ConvAlgorithm.winograd` applies (3x3 or 2x2, stride 1, no dilation, one group).
    public var supportsWinograd: Bool { winograd != nil }
    /// The Winograd variant `ConvAlgorithm.winograd` runs, where it applies.
    public var winogradVariant: WinogradVariant? { winograd?.variant }
    /// Whether `ConvAlgorithm.polyphase` applies (strided, no dilation, one group).
    public var supportsPolyphase: Bool { polyphase != nil }
    public var inChannels: Int { weightShape[1] * geometry.groups }
    var kernel: (Int, Int) { (weightShape[2], weightShape[3]) }

    /// `winogradVariant` overrides the variant a kernel gets by default (`WinogradVariant.init(kernel:channelPairs:)`),
    /// for tests and benchmarks; it must fit the kernel, and is ignored where Winograd does not apply.
    public init(
        weight: Tensor, bias: Tensor? = nil, geometry: ConvGeometry = .init(), activation: Activation = .none,
        winogradVariant: WinogradVariant? = nil
    ) {
        precondition(weight.rank == 4, "conv weight must be [Cout, Cin/g, kh, kw], got \(weight.shape)")
        precondition(weight.dim(0) % geometry.groups == 0, "Cout \(weight.dim(0)) not divisible by groups")
        if let bias { precondition(bias.shape == [weight.dim(0)], "bias \(bias.shape) for Cout \(weight.dim(0))") }
        weightShape = weight.shape
        self.bias = bias
        self.geometry = geometry
        self.activation = activation
        packedWeight = Self.packTapMajor(weight)
        winograd = WinogradFilter.defaultVariant(weight, geometry).map { WinogradFilter(weight, variant: winogradVariant ?? $0) }
        polyphase = PolyphaseFilter.supports(geometry) ? PolyphaseFilter(weight, stride: geometry.stride) : nil
    }

    /// [Cout, Cin, kh, kw] → [Cout, kh, kw, Cin].
    private static func packTapMajor(_ weight: Tensor) -> Tensor {
        let (cout, cin, kh, kw) = (weight.dim(0), weight.dim(1), weight.dim(2), weight.dim(3))
        guard kh * kw > 1 else { return weight }
        var packed = Tensor(uninitializedShape: [cout, kh, kw, cin])
        weight.withUnsafeBufferPointer { source in
            packed.withUnsafeMutableBufferPointer { target in
                for o in 0..<cout {
                    for c in 0..<cin {
                        for tap in 0..<kh * kw {
                            target[(o * kh * kw + tap) * cin + c] = source[(o * cin + c) * kh * kw + tap]
                        }
                    }
                }
            }
        }
        return packed
    }

    /// [Cout, kh, kw, Cin] → [Cout, Cin, kh, kw], the inverse of `packTapMajor`.
    private static func unpackTapMajor(_ packed: Tensor, shape: [Int]) -> Tensor {
        let (cout, cin, kh, kw) = (shape[0], shape[1], shape[2], shape[3])
        guard kh * kw > 1 else { return packed }
        var weight = Tensor(uninitializedShape: shape)
        packed.withUnsafeBufferPointer { source in
            weight.withUnsafeMutableBufferPointer { target in
                for o in 0..<cout {
                    for c in 0..<cin {
                        for tap in 0..<kh * kw {
                            target[(o * cin + c) * kh * kw + tap] = source[(o * kh * kw + tap) * cin + c]
                        }
                    }
                }
            }
        }
        return weight
    }

    /// The convolution with an eval-mode batch norm folded in: w' = w·γ/√(var+ε), b' = (b−μ)·γ/√(var+ε)+β.
    public func foldingBatchNorm(_ norm: BatchNormParameters) -> Conv2d {
        let cout = outChannels
        precondition(norm.weight.shape == [cout], "batch norm over \(norm.weight.shape) after conv with \(cout) outputs")
        let gamma = norm.weight.scalars
        let betaShift = norm.bias.scalars
        let mean = norm.runningMean.scalars
        let variance = norm.runningVar.scalars
        let oldBias = bias?.scalars ?? [Float](repeating: 0, count: cout)
        // Folding in Double keeps the folded weights within one float rounding of PyTorch's two-step result.
        var scale = [Float](repeating: 0, count: cout)
        var newBias = [Float](repeating: 0, count: cout)
        for c in 0..<cout {
            let s = Double(gamma[c]) / (Double(variance[c]) + Double(norm.eps)).squareRoot()
            scale[c] = Float(s)
            newBias[c] = Float((Double(oldBias[c]) - Double(mean[c])) * s + Double(betaShift[c]))
        }
        var folded = weight
        let perOutput = weight.count / cout
        folded.withUnsafeMutableBufferPointer { w in
            for c in 0..<cout {
                for i in 0..<perOutput { w[c * perOutput + i] *= scale[c] }
            }
        }
        return Conv2d(
            weight: folded, bias: Tensor(shape: [cout], scalars: newBias), geometry: geometry,
            activation: activation, winogradVariant: winograd?.variant)
    }

    /// The same convolution with another activation; its packed and transformed weights are kept as they are.
    public func with(activation: Activation) -> Conv2d {
        var changed = self
        changed.activation = activation
        return changed
    }

    /// Convolves `input`; when `residual` is given (same shape as the output) it is added before the activation.
    public func callAsFunction(
        _ input: Tensor, adding residual: Tensor? = nil,
        algorithm: ConvAlgorithm = .automatic
    ) -> Tensor {
        precondition(
            input.rank == 4 && input.dim(1) == inChannels,
            "conv expects [N, \(inChannels), H, W], got \(input.shape)")
        let (n, height, width) = (input.dim(0), input.dim(2), input.dim(3))
        let (outH, outW) = geometry.outputSize(height: height, width: width, kernel: kernel)
        precondition(outH > 0 && outW > 0, "conv output would be empty for input \(input.shape)")
        let outputShape = [n, outChannels, outH, outW]
        if let residual { precondition(residual.shape == outputShape, "residual \(residual.shape) vs \(outputShape)") }

        var output = Tensor(uninitializedShape: outputShape)
        if algorithm == .automatic || algorithm == .winograd, let winograd,
            let plan = winogradPlan(height: height, width: width)
        {
            if algorithm == .winograd || plan.beatsIm2col {
                runWinograd(plan, winograd, input, residual, into: &output)
                return output
            }
        }
        if let polyphase, algorithm == .polyphase || (algorithm == .automatic && prefersPolyphase) {
            let plan = PolyphasePlan(
                filter: polyphase, height: height, width: width, outHeight: outH, outWidth: outW,
                padding: geometry.padding, activation: activation)
            runPolyphase(plan, input, residual, into: &output)
            return output
        }
        let plan = ConvPlan(conv: self, inputHeight: height, inputWidth: width, outputHeight: outH, outputWidth: outW)
        output.withUnsafeMutableBufferPointer { out in
            input.withUnsafeBufferPointer { inp in
                packedWeight.withUnsafeBufferPointer { w in
                    for image in 0..<n {
                        plan.run(
                            input: inp.baseAddress! + image * plan.inputImageCount,
                            packedWeight: w.baseAddress!,
                            output: out.baseAddress! + image * plan.outputImageCount,
                            residual: residual, residualOffset: image * plan.outputImageCount,
                            bias: bias)
                    }
                }
            }
        }
        return output
    }
}

extension Conv2d {
    /// Polyphase pays off once the kernel spans more than a stride (else each tap reads its own phase and
    /// im2col copies no more than the split does) and the GEMMs are deep enough.
    var prefersPolyphase: Bool {
        kernel.0 > geometry.stride.0 && kernel.1 > geometry.stride.1 && inChannels >= PolyphasePlan.minimumInChannels
    }

    /// The Winograd plan for an input of this size, where Winograd applies to this kernel.
    private func winogradPlan(height: Int, width: Int) -> WinogradPlan? {
        guard let winograd else { return nil }
        let (outH, outW) = geometry.outputSize(height: height, width: width, kernel: kernel)
        return WinogradPlan(
            variant: winograd.variant, inChannels: inChannels, outChannels: outChannels,
            height: height, width: width, outHeight: outH, outWidth: outW,
            padding: geometry.padding, activation: activation)
    }

    /// The work of one image through `automatic`'s Winograd plan for an input of this size, nil where `automatic`
    /// takes another algorithm: the GEMMs' multiply-accumulates, and the direct convolution's that they stand for.
    public func winogradWork(height: Int, width: Int) -> MultiplyAccumulates? {
        guard let plan = winogradPlan(height: height, width: width), plan.beatsIm2col else { return nil }
        return MultiplyAccumulates(gemm: plan.gemmMultiplyAccumulates, effective: plan.directMultiplyAccumulates)
    }

    /// Whether `automatic` computes this convolution by im2col on an input of this size.
    func runsByIm2col(height: Int, width: Int) -> Bool {
        if polyphase != nil, prefersPolyphase { return false }
        return !(winogradPlan(height: height, width: width)?.beatsIm2col ?? false)
    }

    private func runPolyphase(_ plan: PolyphasePlan, _ input: Tensor, _ residual: Tensor?, into output: inout Tensor) {
        let imageIn = inChannels * plan.height * plan.width
        let imageOut = outChannels * plan.outHeight * plan.outWidth
        let biasValues = bias?.scalars
        output.withUnsafeMutableBufferPointer { out in
            input.withUnsafeBufferPointer { inp in
                for image in 0..<input.dim(0) {
                    let run = { (extra: UnsafePointer<Float>?) in
                        plan.run(
                            input: inp.baseAddress! + image * imageIn, output: out.baseAddress! + image * imageOut,
                            residual: extra, bias: biasValues)
                    }
                    if let residual {
                        residual.withUnsafeBufferPointer { run($0.baseAddress! + image * imageOut) }
                    } else {
                        run(nil)
                    }
                }
            }
        }
    }

    private func runWinograd(
        _ plan: WinogradPlan, _ filter: WinogradFilter, _ input: Tensor, _ residual: Tensor?,
        into output: inout Tensor
    ) {
        let imageIn = plan.inChannels * plan.height * plan.width
        let imageOut = plan.outChannels * plan.outHeight * plan.outWidth
        let biasValues = bias?.scalars
        Compute.countWinogradSavings(input.dim(0) * (plan.directMultiplyAccumulates - plan.gemmMultiplyAccumulates))
        output.withUnsafeMutableBufferPointer { out in
            input.withUnsafeBufferPointer { inp in
                filter.transformed.withUnsafeBufferPointer { u in
                    for image in 0..<input.dim(0) {
                        let run = { (extra: UnsafePointer<Float>?) in
                            plan.run(
                                input: inp.baseAddress! + image * imageIn, filter: u.baseAddress!,
                                output: out.baseAddress! + image * imageOut, residual: extra, bias: biasValues)
                        }
                        if let residual {
                            residual.withUnsafeBufferPointer { run($0.baseAddress! + image * imageOut) }
                        } else {
                            run(nil)
                        }
                    }
                }
            }
        }
    }
}

/// Eval-mode batch-norm statistics, as stored in a PyTorch state dict.
public struct BatchNormParameters: Sendable {
    public let weight: Tensor
    public let bias: Tensor
    public let runningMean: Tensor
    public let runningVar: Tensor
    public let eps: Float

    public init(weight: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor, eps: Float = 1e-5) {
        self.weight = weight
        self.bias = bias
        self.runningMean = runningMean
        self.runningVar = runningVar
        self.eps = eps
    }
}
