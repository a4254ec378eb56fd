import Shared
import Testing

/// Gemm.multiply sends each thread's block to oneDNN or OpenBLAS as this CPU's routing says: products on both
/// sides of the size limit, with and without accumulating onto the output, against the same sums in Double. A 1x1 convolution is
/// one product: C[Cout, pixels] = W[Cout, Cin] · X[Cin, pixels], with a residual written first and accumulated onto.
@Suite(.serialized) struct GemmBackendTests {
    /// Pseudo-random values in [-1, 1), the same every run.
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 23) - 1
        }
    }

    /// Convolves at `threads` and checks 64 output entries against Double: within 1e-5 of the sum of |terms|.
    static func check(outputs: Int, inputs: Int, pixels: Int, residual: Bool, threads: Int) {
        let previous = Compute.threads
        Compute.setThreads(threads)
        defer { Compute.setThreads(previous) }
        let weight = values(outputs * inputs, seed: 1)
        let input = values(inputs * pixels, seed: 2)
        let extra = residual ? values(outputs * pixels, seed: 3) : nil
        let conv = Conv2d(weight: Tensor(shape: [outputs, inputs, 1, 1], scalars: weight))
        let output = conv(
            Tensor(shape: [1, inputs, 1, pixels], scalars: input),
            adding: extra.map { Tensor(shape: [1, outputs, 1, pixels], scalars: $0) }
        ).scalars
        for sample in 0..<64 {
            let (o, p) = ((sample * 7_919) % outputs, (sample * 104_729) % pixels)
            var sum = Double(extra?[o * pixels + p] ?? 0)
            var magnitude = abs(sum)
            for c in 0..<inputs {
                let term = Double(weight[o * inputs + c]) * Double(input[c * pixels + p])
                sum += term
                magnitude += abs(term)
            }
            let error = abs(Double(output[o * pixels + p]) - sum)
            #expect(error <= 1e-5 * magnitude + 1e-6, "output \(o), pixel \(p): \(output[o * pixels + p]) vs \(sum)")
        }
    }

    @Test(arguments: [false, true])
    func aSmallProductMatchesDouble(accumulating residual: Bool) {
        Self.check(outputs: 70, inputs: 53, pixels: 143, residual: residual, threads: 1)
    }

    /// Where products are split by size, one thread holds the whole product just above the limit (OpenBLAS) and
    /// two threads hold half each, below it (oneDNN); elsewhere the routing's one library multiplies both.
    @Test(arguments: [(false, 1), (true, 1), (false, 2), (true, 2)])
    func aProductAboveTheOneDNNLimitMatchesDoubleWholeAndSplit(accumulating residual: Bool, threads: Int) {
        let (outputs, inputs) = (1000, 1000)
        let pixels = GemmRouting.sizeLimit / (outputs * inputs) + 24
        #expect(outputs * inputs * pixels >= GemmRouting.sizeLimit)
        #expect(outputs * inputs * pixels / 2 < GemmRouting.sizeLimit)
        Self.check(outputs: outputs, inputs: inputs, pixels: pixels, residual: residual, threads: threads)
        #expect(Compute.oneDNNRefusalCount == 0)
    }
}

/// The rule that picks the GEMM library, apart from the libraries: by the CPU, OpenBLAS's own choice and
/// LADON_GEMM.
struct GemmRoutingTests {
    @Test func anAVX2CPUThatOpenBLASKnowsSplitsTheProductsBySize() {
        for core in ["Haswell", "Zen", "SkylakeX"] {
            let routing = GemmRouting.choose(request: nil, oneDNNVectorBits: 256, openBLASCore: core)
            #expect(routing == .bySize(limit: GemmRouting.sizeLimit))
            #expect(routing.usesOneDNN(multiplyAccumulates: GemmRouting.sizeLimit - 1, transposeB: false))
            #expect(!routing.usesOneDNN(multiplyAccumulates: GemmRouting.sizeLimit, transposeB: false))
            #expect(!routing.usesOneDNN(multiplyAccumulates: 1000, transposeB: true))
        }
    }

    @Test func openBLASFallingBackToOldKernelsSendsEveryProductToOneDNN() {
        for core in ["Prescott", "Sandybridge", "Nehalem", "unknown"] {
            #expect(GemmRouting.choose(request: nil, oneDNNVectorBits: 256, openBLASCore: core) == .oneDNNOnly)
        }
        #expect(GemmRouting.oneDNNOnly.usesOneDNN(multiplyAccumulates: 13_000_000_000, transposeB: true))
    }

    @Test func anAVX512CPUSendsEveryProductToOneDNN() {
        #expect(GemmRouting.choose(request: nil, oneDNNVectorBits: 512, openBLASCore: "SkylakeX") == .oneDNNOnly)
    }

    @Test func withoutOneDNNOrWhenAskedForOpenBLASEveryProductGoesToOpenBLAS() {
        #expect(GemmRouting.choose(request: nil, oneDNNVectorBits: 0, openBLASCore: "Prescott") == .openBLASOnly)
        #expect(GemmRouting.choose(request: "onednn", oneDNNVectorBits: 0, openBLASCore: "Zen") == .openBLASOnly)
        #expect(GemmRouting.choose(request: "openblas", oneDNNVectorBits: 512, openBLASCore: "Zen") == .openBLASOnly)
        #expect(!GemmRouting.openBLASOnly.usesOneDNN(multiplyAccumulates: 1, transposeB: false))
    }

    @Test func askingForOneDNNSendsEveryProductToIt() {
        #expect(GemmRouting.choose(request: "onednn", oneDNNVectorBits: 256, openBLASCore: "Zen") == .oneDNNOnly)
    }
}
