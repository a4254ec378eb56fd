/// `F.interpolate(x, size=(H, W), mode="nearest")`: output pixel o reads input ⌊o·(in/out)⌋ (scale in
/// float32, clamped to the last pixel), exactly o/2 when the size doubles, as PyTorch's kernel does.
///
/// Layout: [N, C, h, w] → [N, C, H, W].
enum NearestUpsample {
    static func resize(_ x: Tensor, height: Int, width: Int) -> Tensor {
        precondition(x.rank == 4, "nearest upsampling expects [N, C, H, W], got \(x.shape)")
        let (n, channels, inH, inW) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        let rows = (0 ..< height).map { sourceIndex($0, input: inH, output: height) }
        let cols = (0 ..< width).map { sourceIndex($0, input: inW, output: width) }
        var output = Tensor(uninitializedShape: [n, channels, height, width])
        x.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                Compute.parallelFor(n * channels, minimumPerThread: 16) { planes in
                    for plane in planes {
                        let source = plane * inH * inW, target = plane * height * width
                        for oy in 0 ..< height {
                            let row = source + rows[oy] * inW
                            for ox in 0 ..< width { out[target + oy * width + ox] = input[row + cols[ox]] }
                        }
                    }
                }
            }
        }
        return output
    }

    static func sourceIndex(_ index: Int, input: Int, output: Int) -> Int {
        if output == input { return index }
        if output == 2 * input { return index >> 1 }
        let scale = Float(input) / Float(output)
        return min(Int((Float(index) * scale).rounded(.down)), input - 1)
    }
}
