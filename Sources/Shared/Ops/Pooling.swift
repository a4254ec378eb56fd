/// Pooling over the spatial dimensions of [N, C, H, W] tensors, with PyTorch's window arithmetic.
public enum Pooling {
    /// `nn.MaxPool2d(kernel, stride, padding)`: padded positions never win (they count as −∞).
    public static func maxPool(_ x: Tensor, kernel: Int, stride: Int, padding: Int) -> Tensor {
        windowed(x, kernel: kernel, stride: stride, padding: padding) { plane, width, rows, cols, _ in
            var best = -Float.infinity
            for r in rows {
                for c in cols {
                    let v = plane[r * width + c]
                    if v > best || v.isNaN { best = v }
                }
            }
            return best
        }
    }

    /// `nn.AvgPool2d(kernel, stride, padding)` with count_include_pad=True (PyTorch's default).
    public static func avgPool(_ x: Tensor, kernel: Int, stride: Int, padding: Int = 0) -> Tensor {
        windowed(x, kernel: kernel, stride: stride, padding: padding) { plane, width, rows, cols, _ in
            var sum: Float = 0
            for r in rows { for c in cols { sum += plane[r * width + c] } }
            return sum / Float(kernel * kernel)
        }
    }

    /// `nn.AdaptiveAvgPool2d((outH, outW))`: window i spans [⌊i·H/outH⌋, ⌈(i+1)·H/outH⌉).
    public static func adaptiveAvgPool(_ x: Tensor, outputHeight: Int, outputWidth: Int) -> Tensor {
        let (n, channels, height, width) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        var output = Tensor(uninitializedShape: [n, channels, outputHeight, outputWidth])
        x.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                let (source, target) = (input.baseAddress!, out.baseAddress!)
                Compute.parallelFor(n * channels, minimumPerThread: 64) { range in
                    for plane in range {
                        let base = source + plane * height * width
                        for oy in 0..<outputHeight {
                            let rows = (oy * height / outputHeight)..<(((oy + 1) * height + outputHeight - 1) / outputHeight)
                            for ox in 0..<outputWidth {
                                let cols = (ox * width / outputWidth)..<(((ox + 1) * width + outputWidth - 1) / outputWidth)
                                var sum: Float = 0
                                for r in rows { for c in cols { sum += base[r * width + c] } }
                                target[(plane * outputHeight + oy) * outputWidth + ox] = sum / Float(rows.count * cols.count)
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    private static func windowed(
        _ x: Tensor, kernel: Int, stride: Int, padding: Int,
        reduce: (UnsafePointer<Float>, Int, Range<Int>, Range<Int>, Int) -> Float
    ) -> Tensor {
        precondition(x.rank == 4, "pooling expects [N, C, H, W], got \(x.shape)")
        let (n, channels, height, width) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        let outHeight = (height + 2 * padding - kernel) / stride + 1
        let outWidth = (width + 2 * padding - kernel) / stride + 1
        var output = Tensor(uninitializedShape: [n, channels, outHeight, outWidth])
        x.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                let (source, target) = (input.baseAddress!, out.baseAddress!)
                Compute.parallelFor(n * channels, minimumPerThread: 16) { range in
                    for plane in range {
                        let base = source + plane * height * width
                        for oy in 0..<outHeight {
                            let top = oy * stride - padding
                            let rows = max(top, 0)..<min(top + kernel, height)
                            for ox in 0..<outWidth {
                                let left = ox * stride - padding
                                let cols = max(left, 0)..<min(left + kernel, width)
                                target[(plane * outHeight + oy) * outWidth + ox] = reduce(base, width, rows, cols, kernel)
                            }
                        }
                    }
                }
            }
        }
        return output
    }
}
