/// Pooling over the spatial dimensions of [N, C, H, W] tensors, with PyTorch's window arithmetic.
public enum Pooling {
    /// `nn.MaxPool2d(kernel, stride, padding)`: padded positions never win (they count as −∞).
    public static func maxPool(_ x: Tensor, kernel: Int, stride: Int, padding: Int) -> Tensor {
        windowed(x, kernel: kernel, stride: stride, padding: padding, ceilMode: false) { plane, width, rows, cols, _ in
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

    /// `nn.AvgPool2d(kernel, stride, padding, ceil_mode, count_include_pad)`. With `countIncludePad`
    /// (PyTorch's default) a window divides by its size clipped to the padded input, so padded zeros count;
    /// without, by the input pixels it covers. `ceilMode` adds a last, partial window where the input
    /// leaves one (never one that starts in the right or bottom padding), as PyTorch does.
    public static func avgPool(
        _ x: Tensor, kernel: Int, stride: Int, padding: Int = 0, ceilMode: Bool = false, countIncludePad: Bool = true
    ) -> Tensor {
        let (height, width) = (x.dim(2), x.dim(3))
        return windowed(x, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode) { plane, rowStride, rows, cols, window in
            var sum: Float = 0
            for r in rows { for c in cols { sum += plane[r * rowStride + c] } }
            guard countIncludePad else { return sum / Float(rows.count * cols.count) }
            // The window clipped to the padded extent [-padding, size + padding).
            let spanRows = min(window.top + kernel, height + padding) - window.top
            let spanCols = min(window.left + kernel, width + padding) - window.left
            return sum / Float(spanRows * spanCols)
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

    /// A window's top-left corner in input coordinates (negative inside the padding).
    struct Window {
        let top: Int
        let left: Int
    }

    /// Output size of one axis as PyTorch computes it: floor, or ceil without a window that starts in the padding.
    static func pooledSize(_ size: Int, kernel: Int, stride: Int, padding: Int, ceilMode: Bool) -> Int {
        let span = size + 2 * padding - kernel
        guard ceilMode else { return span / stride + 1 }
        var count = (span + stride - 1) / stride + 1
        if (count - 1) * stride >= size + padding { count -= 1 }
        return count
    }

    private static func windowed(
        _ x: Tensor, kernel: Int, stride: Int, padding: Int, ceilMode: Bool,
        reduce: (UnsafePointer<Float>, Int, Range<Int>, Range<Int>, Window) -> Float
    ) -> Tensor {
        precondition(x.rank == 4, "pooling expects [N, C, H, W], got \(x.shape)")
        let (n, channels, height, width) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        let outHeight = pooledSize(height, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
        let outWidth = pooledSize(width, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
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
                                target[(plane * outHeight + oy) * outWidth + ox] = reduce(base, width, rows, cols, Window(top: top, left: left))
                            }
                        }
                    }
                }
            }
        }
        return output
    }
}
