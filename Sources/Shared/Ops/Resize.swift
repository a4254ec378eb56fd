/// `F.interpolate` for NCHW float tensors, with PyTorch's CPU index arithmetic.
///
/// Bilinear, align_corners=False: output index o reads the source coordinate
/// s = max(0, scale·(o + ½) − ½) with scale = in/out in float32 (PyTorch recomputes it from the sizes
/// whenever it is given a size, or a scale factor with recompute_scale_factor=True); i0 = min(⌊s⌋, in − 1),
/// i1 = i0 + 1 unless i0 is the last pixel, λ1 = clamp(s − i0, 0, 1), λ0 = 1 − λ1; an axis whose size
/// does not change is copied. A pixel is h0·(w0·x00 + w1·x01) + h1·(w0·x10 + w1·x11).
///
/// PyTorch's CPU kernel has two paths whose s differ by one rounding, which at s ≈ 600 moves λ by ~6e−5:
/// its generic kernel rounds scale·(o + ½) before subtracting ½; its separable kernel, taken when
/// out height + out width ≤ 128 (and also for 3 channels when torch runs on one thread), fuses the
/// multiply-add. We follow the size rule and the multi-threaded default; the pixel sums then agree to
/// about one float ulp.
public enum Resize {
    /// `F.interpolate(x, size=(height, width), mode="bilinear", align_corners=False)`, reading only the
    /// top-left `window` of each plane when one is given (a crop without a copy).
    ///
    /// Layout: [N, C, h, w] → [N, C, height, width].
    public static func bilinear(_ x: Tensor, height: Int, width: Int, window: ImageSize? = nil) -> Tensor {
        precondition(x.rank == 4, "bilinear resize expects [N, C, H, W], got \(x.shape)")
        precondition(height > 0 && width > 0, "bilinear resize to \(height)x\(width)")
        let (n, channels, planeH, planeW) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        let source = window ?? ImageSize(height: planeH, width: planeW)
        precondition(
            source.height >= 1 && source.width >= 1 && source.height <= planeH && source.width <= planeW,
            "window \(source) does not fit planes \(planeH)x\(planeW)")
        let (rows, cols) = bilinearTaps(source: source, height: height, width: width)
        var output = Tensor(uninitializedShape: [n, channels, height, width])
        x.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                Compute.parallelFor(n * channels) { planes in
                    for plane in planes {
                        let base = plane * planeH * planeW
                        let target = plane * height * width
                        for oy in 0..<height {
                            let row = rows[oy]
                            let top = input.baseAddress! + base + row.first * planeW
                            let bottom = input.baseAddress! + base + row.second * planeW
                            let line = target + oy * width
                            for ox in 0..<width {
                                out[line + ox] = blend(top: top, bottom: bottom, column: cols[ox], row: row)
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// `F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False,
    /// recompute_scale_factor=True)`: the output size is `scaledSize`, then the size path runs.
    public static func bilinear(_ x: Tensor, scale: Double) -> Tensor {
        let size = scaledSize(ImageSize(height: x.dim(2), width: x.dim(3)), scale: scale)
        return bilinear(x, height: size.height, width: size.width)
    }

    /// The size `F.interpolate` makes of a scale factor with recompute_scale_factor=True: in · scale in
    /// double precision, truncated.
    public static func scaledSize(_ size: ImageSize, scale: Double) -> ImageSize {
        ImageSize(height: Int(Double(size.height) * scale), width: Int(Double(size.width) * scale))
    }

    /// `F.interpolate(x, size=(height, width), mode="nearest")`: output index o reads
    /// min(⌊o · (in/out)⌋, in − 1) with the ratio in float32; o/2 exactly when the size doubles.
    ///
    /// Layout: [N, C, h, w] → [N, C, height, width].
    public static func nearest(_ x: Tensor, height: Int, width: Int) -> Tensor {
        precondition(x.rank == 4, "nearest resize expects [N, C, H, W], got \(x.shape)")
        let (n, channels, inH, inW) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        let rows = (0..<height).map { nearestIndex($0, input: inH, output: height) }
        let cols = (0..<width).map { nearestIndex($0, input: inW, output: width) }
        var output = Tensor(uninitializedShape: [n, channels, height, width])
        x.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                Compute.parallelFor(n * channels, minimumPerThread: 16) { planes in
                    for plane in planes {
                        let source = plane * inH * inW
                        let target = plane * height * width
                        for oy in 0..<height {
                            let row = source + rows[oy] * inW
                            let line = target + oy * width
                            for ox in 0..<width { out[line + ox] = input[row + cols[ox]] }
                        }
                    }
                }
            }
        }
        return output
    }

    // MARK: index arithmetic

    /// The two source pixels of one output index and their weights.
    struct Tap {
        var first: Int
        var second: Int
        var firstWeight: Float
        var secondWeight: Float
    }

    /// One output pixel of a bilinear resize from its two source rows: along each row at `column`, then
    /// between the rows by `row`, in the order PyTorch rounds. Every bilinear value here comes from it, so a
    /// label map that upsamples as it goes gives the labels of one that upsamples first, bit for bit.
    @inline(__always)
    static func blend(top: UnsafePointer<Float>, bottom: UnsafePointer<Float>, column: Tap, row: Tap) -> Float {
        between(along(top, column: column), along(bottom, column: column), row: row)
    }

    /// The first half of `blend`: along one source row at `column`.
    @inline(__always)
    static func along(_ line: UnsafePointer<Float>, column: Tap) -> Float {
        line[column.first] * column.firstWeight + line[column.second] * column.secondWeight
    }

    /// The second half of `blend`: between the values along the two rows, by `row`; for one pixel or for eight
    /// (the same two products and one sum in each lane).
    @inline(__always)
    static func between<V: SIMD>(_ upper: V, _ lower: V, row: Tap) -> V where V.Scalar == Float {
        upper * row.firstWeight + lower * row.secondWeight
    }

    @inline(__always)
    static func between(_ upper: Float, _ lower: Float, row: Tap) -> Float {
        upper * row.firstWeight + lower * row.secondWeight
    }

    /// The row and column taps of a bilinear resize of `source` to height x width (PyTorch's index path
    /// for that output size).
    static func bilinearTaps(source: ImageSize, height: Int, width: Int) -> (rows: [Tap], cols: [Tap]) {
        let fused = height + width <= 128
        return (
            taps(input: source.height, output: height, fusedIndex: fused),
            taps(input: source.width, output: width, fusedIndex: fused)
        )
    }

    static func taps(input: Int, output: Int, fusedIndex: Bool) -> [Tap] {
        if input == output {
            return (0..<output).map { Tap(first: $0, second: $0, firstWeight: 1, secondWeight: 0) }
        }
        let scale = Float(input) / Float(output)
        return (0..<output).map { index in
            let centre = Float(index) + 0.5
            let real = max(fusedIndex ? Float(-0.5).addingProduct(scale, centre) : scale * centre - 0.5, 0)
            let first = min(Int(real.rounded(.down)), input - 1)
            let lambda = min(max(real - Float(first), 0), 1)
            return Tap(
                first: first, second: first < input - 1 ? first + 1 : first,
                firstWeight: 1 - lambda, secondWeight: lambda)
        }
    }

    static func nearestIndex(_ index: Int, input: Int, output: Int) -> Int {
        if output == input { return index }
        if output == 2 * input { return index >> 1 }
        let scale = Float(input) / Float(output)
        return min(Int((Float(index) * scale).rounded(.down)), input - 1)
    }
}
