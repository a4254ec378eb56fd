/// Winograd's minimal filtering (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016)
/// for stride-1, undilated, ungrouped convolutions, in the two variants whose transformed tile is 4x4:
/// F(2×2, 3×3) for 3x3 kernels (16 multiplies per channel pair and 2x2 output tile instead of 36) and
/// F(3×3, 2×2) for the decoder's 2x2 kernels (16 instead of 36 per 3x3 tile). The products become
/// 16 GEMMs M_t[Cout, tiles] = U_t[Cout, Cin] · V_t[Cin, tiles], one per point of the transformed tile.
///
/// Both interpolate at 0, 1, −1 and ∞, so the transforms only add, subtract and halve and results stay
/// within a few float roundings of the direct convolution; the op fixtures run both algorithms against PyTorch.
enum WinogradVariant: Sendable {
    /// F(2×2, 3×3).
    case output2Kernel3
    /// F(3×3, 2×2).
    case output3Kernel2

    init?(kernel: (Int, Int)) {
        switch kernel {
        case (3, 3): self = .output2Kernel3
        case (2, 2): self = .output3Kernel2
        default: return nil
        }
    }

    var kernel: Int { self == .output2Kernel3 ? 3 : 2 }
    /// Output pixels per tile side.
    var outputTile: Int { self == .output2Kernel3 ? 2 : 3 }

    /// G (4 x kernel): the filter transform.
    var filterTransform: [[Double]] {
        switch self {
        case .output2Kernel3: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        case .output3Kernel2: [[1, 0], [0.5, 0.5], [0.5, -0.5], [0, 1]]
        }
    }
}

struct WinogradFilter: Sendable {
    let variant: WinogradVariant
    /// U = G·g·Gᵀ per (Cout, Cin) pair, stored [16, Cout, Cin] so that each point is one GEMM's A.
    let transformed: Tensor

    static func supports(_ weight: Tensor, _ geometry: ConvGeometry) -> Bool {
        guard let variant = WinogradVariant(kernel: (weight.dim(2), weight.dim(3))) else { return false }
        return geometry.stride == (1, 1) && geometry.dilation == (1, 1) && geometry.groups == 1
            && geometry.padding.0 < variant.kernel && geometry.padding.1 < variant.kernel
    }

    init(_ weight: Tensor) {
        let (cout, cin, r) = (weight.dim(0), weight.dim(1), weight.dim(2))
        guard let variant = WinogradVariant(kernel: (r, weight.dim(3))) else {
            preconditionFailure("no Winograd variant for a \(r)x\(weight.dim(3)) kernel")
        }
        self.variant = variant
        let g = variant.filterTransform
        var transformed = Tensor(uninitializedShape: [16, cout, cin])
        weight.withUnsafeBufferPointer { w in
            transformed.withUnsafeMutableBufferPointer { u in
                for pair in 0..<cout * cin {
                    let base = pair * r * r
                    // G·w (4 x r), then (G·w)·Gᵀ (4x4), in Double so U is the exactly rounded product.
                    var left = [[Double]](repeating: [Double](repeating: 0, count: r), count: 4)
                    for i in 0..<4 {
                        for k in 0..<r {
                            for t in 0..<r { left[i][k] += g[i][t] * Double(w[base + t * r + k]) }
                        }
                    }
                    for i in 0..<4 {
                        for j in 0..<4 {
                            var value = 0.0
                            for k in 0..<r { value += left[i][k] * g[j][k] }
                            u[(i * 4 + j) * cout * cin + pair] = Float(value)
                        }
                    }
                }
            }
        }
        self.transformed = transformed
    }
}

/// One image through a Winograd variant. Layout: input [Cin, H, W] → output [Cout, Hout, Wout], with the
/// bias, a residual and ReLU applied as the tiles are written back.
struct WinogradPlan {
    let variant: WinogradVariant
    let inChannels: Int, outChannels: Int
    let height: Int, width: Int
    let outHeight: Int, outWidth: Int
    let padding: (Int, Int)
    let activation: Activation

    var tileRows: Int { (outHeight + variant.outputTile - 1) / variant.outputTile }
    var tileColumns: Int { (outWidth + variant.outputTile - 1) / variant.outputTile }
    var tiles: Int { tileRows * tileColumns }

    /// Below this many tiles the 16 GEMMs are too thin to beat im2col (measured on the official trunk: at 16
    /// layer4's 11x14 maps (42 tiles) join and layer2-4 take about 14% less time than at 64).
    static let minimumTiles = 16

    func run(
        input: UnsafePointer<Float>, filter: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        residual: UnsafePointer<Float>?, bias: [Float]?
    ) {
        var inputTiles = Tensor(uninitializedShape: [16, inChannels, tiles])
        var products = Tensor(uninitializedShape: [16, outChannels, tiles])
        inputTiles.withUnsafeMutableBufferPointer { v in transformInput(input, into: v.baseAddress!) }
        inputTiles.withUnsafeBufferPointer { v in
            products.withUnsafeMutableBufferPointer { m in
                for point in 0..<16 {
                    Gemm.multiply(
                        m: outChannels, n: tiles, k: inChannels,
                        a: filter + point * outChannels * inChannels, lda: inChannels,
                        b: v.baseAddress! + point * inChannels * tiles, ldb: tiles,
                        c: m.baseAddress! + point * outChannels * tiles, ldc: tiles, beta: 0)
                }
            }
        }
        products.withUnsafeBufferPointer { m in
            transformOutput(m.baseAddress!, into: output, residual: residual, bias: bias)
        }
    }

    /// V = Bᵀ·d·B for every 4x4 input patch d (zero outside the image), stored [16, Cin, tiles].
    /// Bᵀ's rows are (d0 − d2, d1 + d2, d2 − d1, ±(d1 − d3)): the last is d1 − d3 for F(2×2, 3×3) and
    /// d3 − d1 for F(3×3, 2×2).
    private func transformInput(_ input: UnsafePointer<Float>, into v: UnsafeMutablePointer<Float>) {
        let (tiles, tileColumns, height, width) = (tiles, tileColumns, height, width)
        let plane = inChannels * tiles
        let (padding, step) = (padding, variant.outputTile)
        let lastSign: Float = variant == .output2Kernel3 ? 1 : -1
        Compute.parallelFor(inChannels) { channels in
            for c in channels {
                let source = input + c * height * width
                let target = v + c * tiles
                for tile in 0..<tiles {
                    let top = step * (tile / tileColumns) - padding.0
                    let left = step * (tile % tileColumns) - padding.1
                    let inside = top >= 0 && top + 4 <= height && left >= 0 && left + 4 <= width
                    func row(_ i: Int) -> SIMD4<Float> {
                        let y = top + i
                        if inside { return UnsafeRawPointer(source + y * width + left).loadUnaligned(as: SIMD4<Float>.self) }
                        guard y >= 0 && y < height else { return .zero }
                        var r = SIMD4<Float>.zero
                        for j in 0..<4 where left + j >= 0 && left + j < width { r[j] = source[y * width + left + j] }
                        return r
                    }
                    let (d0, d1, d2, d3) = (row(0), row(1), row(2), row(3))
                    // Bᵀ down the columns, then the same along each row.
                    func store(_ r: SIMD4<Float>, _ i: Int) {
                        let base = target + (i * 4) * plane + tile
                        base[0] = r.x - r.z
                        base[plane] = r.y + r.z
                        base[2 * plane] = r.z - r.y
                        base[3 * plane] = lastSign * (r.y - r.w)
                    }
                    store(d0 - d2, 0)
                    store(d1 + d2, 1)
                    store(d2 - d1, 2)
                    store(lastSign * (d1 - d3), 3)
                }
            }
        }
    }

    /// Y = Aᵀ·m·A for every tile's 4x4 products, plus bias and residual, then the activation.
    /// Aᵀ's rows: (m0 + m1 + m2, m1 − m2 − m3) for F(2×2, 3×3); (m0 + m1 + m2, m1 − m2, m1 + m2 + m3)
    /// for F(3×3, 2×2).
    private func transformOutput(
        _ m: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
        residual: UnsafePointer<Float>?, bias: [Float]?
    ) {
        let (tiles, tileColumns, outHeight, outWidth) = (tiles, tileColumns, outHeight, outWidth)
        let plane = outChannels * tiles
        let relu = activation == .relu
        let (variant, step) = (variant, variant.outputTile)
        Compute.parallelFor(outChannels) { channels in
            for o in channels {
                let shift = bias?[o] ?? 0
                let target = output + o * outHeight * outWidth
                let extra = residual.map { $0 + o * outHeight * outWidth }
                let source = m + o * tiles
                for tile in 0..<tiles {
                    func row(_ i: Int) -> SIMD4<Float> {
                        let base = source + (i * 4) * plane + tile
                        return SIMD4(base[0], base[plane], base[2 * plane], base[3 * plane])
                    }
                    let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3))
                    let top = step * (tile / tileColumns)
                    let left = step * (tile % tileColumns)
                    func write(_ t: SIMD4<Float>, _ i: Int) {
                        guard top + i < outHeight else { return }
                        let values: SIMD4<Float> =
                            variant == .output2Kernel3
                            ? SIMD4(t.x + t.y + t.z, t.y - t.z - t.w, 0, 0)
                            : SIMD4(t.x + t.y + t.z, t.y - t.z, t.y + t.z + t.w, 0)
                        for j in 0..<step where left + j < outWidth {
                            let index = (top + i) * outWidth + left + j
                            var value = values[j] + shift
                            if let extra { value += extra[index] }
                            target[index] = relu ? max(value, 0) : value
                        }
                    }
                    switch variant {
                    case .output2Kernel3:
                        write(r0 + r1 + r2, 0)
                        write(r1 - r2 - r3, 1)
                    case .output3Kernel2:
                        write(r0 + r1 + r2, 0)
                        write(r1 - r2, 1)
                        write(r1 + r2 + r3, 2)
                    }
                }
            }
        }
    }
}
