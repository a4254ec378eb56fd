/// Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural
/// Networks", 2016) for 3x3, stride-1, undilated, ungrouped convolutions: a 2x2 output tile costs 16
/// multiplies per channel pair instead of 36. The products become 16 GEMMs
/// M_t[Cout, tiles] = U_t[Cout, Cin] · V_t[Cin, tiles], one per point of the 4x4 transformed tile.
///
/// The transforms only add, subtract and halve, so results stay within a few float roundings of the
/// direct convolution; the op fixtures run both algorithms against PyTorch.
struct WinogradFilter: Sendable {
    /// U = G·g·Gᵀ per (Cout, Cin) pair, stored [16, Cout, Cin] so that each point is one GEMM's A.
    let transformed: Tensor

    static func supports(_ weight: Tensor, _ geometry: ConvGeometry) -> Bool {
        weight.dim(2) == 3 && weight.dim(3) == 3 && geometry.stride == (1, 1) && geometry.dilation == (1, 1)
            && geometry.groups == 1 && geometry.padding.0 <= 2 && geometry.padding.1 <= 2
    }

    init(_ weight: Tensor) {
        let (cout, cin) = (weight.dim(0), weight.dim(1))
        var transformed = Tensor(uninitializedShape: [16, cout, cin])
        weight.withUnsafeBufferPointer { g in
            transformed.withUnsafeMutableBufferPointer { u in
                for pair in 0 ..< cout * cin {
                    let base = pair * 9
                    // G·g (4x3), then (G·g)·Gᵀ (4x4), in Double so U is the exactly rounded product.
                    var rows = [[Double]](repeating: [0, 0, 0], count: 4)
                    for k in 0 ..< 3 {
                        let (g0, g1, g2) = (Double(g[base + k]), Double(g[base + 3 + k]), Double(g[base + 6 + k]))
                        rows[0][k] = g0
                        rows[1][k] = 0.5 * (g0 + g1 + g2)
                        rows[2][k] = 0.5 * (g0 - g1 + g2)
                        rows[3][k] = g2
                    }
                    for i in 0 ..< 4 {
                        let (t0, t1, t2) = (rows[i][0], rows[i][1], rows[i][2])
                        let values = [t0, 0.5 * (t0 + t1 + t2), 0.5 * (t0 - t1 + t2), t2]
                        for j in 0 ..< 4 { u[(i * 4 + j) * cout * cin + pair] = Float(values[j]) }
                    }
                }
            }
        }
        self.transformed = transformed
    }
}

/// One image through F(2×2, 3×3). Layout: input [Cin, H, W] → output [Cout, Hout, Wout], with the
/// bias, a residual and ReLU applied as the tiles are written back.
struct WinogradPlan {
    let inChannels: Int, outChannels: Int
    let height: Int, width: Int
    let outHeight: Int, outWidth: Int
    let padding: (Int, Int)
    let activation: Activation

    var tileRows: Int { (outHeight + 1) / 2 }
    var tileColumns: Int { (outWidth + 1) / 2 }
    var tiles: Int { tileRows * tileColumns }

    /// Below this many tiles the 16 GEMMs are too thin to beat im2col.
    static let minimumTiles = 64

    func run(input: UnsafePointer<Float>, filter: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
             residual: UnsafePointer<Float>?, bias: [Float]?) {
        var inputTiles = Tensor(uninitializedShape: [16, inChannels, tiles])
        var products = Tensor(uninitializedShape: [16, outChannels, tiles])
        inputTiles.withUnsafeMutableBufferPointer { v in transformInput(input, into: v.baseAddress!) }
        inputTiles.withUnsafeBufferPointer { v in
            products.withUnsafeMutableBufferPointer { m in
                for point in 0 ..< 16 {
                    Gemm.multiply(m: outChannels, n: tiles, k: inChannels,
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
    private func transformInput(_ input: UnsafePointer<Float>, into v: UnsafeMutablePointer<Float>) {
        let (tiles, tileColumns, height, width) = (tiles, tileColumns, height, width)
        let plane = inChannels * tiles
        let padding = padding
        Compute.parallelFor(inChannels) { channels in
            for c in channels {
                let source = input + c * height * width
                let target = v + c * tiles
                for tile in 0 ..< tiles {
                    let top = 2 * (tile / tileColumns) - padding.0, left = 2 * (tile % tileColumns) - padding.1
                    let inside = top >= 0 && top + 4 <= height && left >= 0 && left + 4 <= width
                    func row(_ i: Int) -> SIMD4<Float> {
                        let y = top + i
                        if inside { return UnsafeRawPointer(source + y * width + left).loadUnaligned(as: SIMD4<Float>.self) }
                        guard y >= 0 && y < height else { return .zero }
                        var r = SIMD4<Float>.zero
                        for j in 0 ..< 4 where left + j >= 0 && left + j < width { r[j] = source[y * width + left + j] }
                        return r
                    }
                    let (d0, d1, d2, d3) = (row(0), row(1), row(2), row(3))
                    // Bᵀ rows: (d0 − d2, d1 + d2, d2 − d1, d1 − d3) down the columns, then the same along each row.
                    func store(_ r: SIMD4<Float>, _ i: Int) {
                        let base = target + (i * 4) * plane + tile
                        base[0] = r.x - r.z
                        base[plane] = r.y + r.z
                        base[2 * plane] = r.z - r.y
                        base[3 * plane] = r.y - r.w
                    }
                    store(d0 - d2, 0)
                    store(d1 + d2, 1)
                    store(d2 - d1, 2)
                    store(d1 - d3, 3)
                }
            }
        }
    }

    /// Y = Aᵀ·m·A for every tile's 4x4 products, plus bias and residual, then the activation.
    private func transformOutput(_ m: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
                                 residual: UnsafePointer<Float>?, bias: [Float]?) {
        let (tiles, tileColumns, outHeight, outWidth) = (tiles, tileColumns, outHeight, outWidth)
        let plane = outChannels * tiles
        let relu = activation == .relu
        Compute.parallelFor(outChannels) { channels in
            for o in channels {
                let shift = bias?[o] ?? 0
                let target = output + o * outHeight * outWidth
                let extra = residual.map { $0 + o * outHeight * outWidth }
                let source = m + o * tiles
                for tile in 0 ..< tiles {
                    func row(_ i: Int) -> SIMD4<Float> {
                        let base = source + (i * 4) * plane + tile
                        return SIMD4(base[0], base[plane], base[2 * plane], base[3 * plane])
                    }
                    let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3))
                    // Aᵀ rows: (m0 + m1 + m2, m1 − m2 − m3) down the columns, then the same along each row.
                    let top = 2 * (tile / tileColumns), left = 2 * (tile % tileColumns)
                    func write(_ t: SIMD4<Float>, _ i: Int) {
                        guard top + i < outHeight else { return }
                        let values = (t.x + t.y + t.z, t.y - t.z - t.w)
                        for j in 0 ..< 2 where left + j < outWidth {
                            let index = (top + i) * outWidth + left + j
                            var value = (j == 0 ? values.0 : values.1) + shift
                            if let extra { value += extra[index] }
                            target[index] = relu ? max(value, 0) : value
                        }
                    }
                    write(r0 + r1 + r2, 0)
                    write(r1 - r2 - r3, 1)
                }
            }
        }
    }
}
