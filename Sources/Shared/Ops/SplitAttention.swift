import Foundation

/// timm's `SplitAttn` at inference, the split-attention convolution of ResNeSt, for cardinality 1:
///
///     y   = relu(bn0(conv(x)))              [N, R·C, H, W], `conv` grouped by the radix R;
///                                          split r is channels r·C ..< (r+1)·C
///     s   = mean over H, W of Σ_r y_r       [N, C]
///     z   = fc2(relu(bn1(fc1(s))))          [N, R·C]
///     a_r = softmax over r of z[r·C + c]    (timm's RadixSoftmax: with cardinality 1 its transpose keeps
///                                          this radix-major order)
///     out = Σ_r a_r · y_r                   [N, C, H, W]
///
/// The batch norms are folded into `conv` and `fc1` when the weights load; `fc1` and `fc2` are 1x1
/// convolutions on the pooled [N, C, 1, 1] map, as in timm.
public struct SplitAttention: Sendable {
    /// The grouped convolution with bn0 folded in and its ReLU.
    public let conv: Conv2d
    /// fc1 with bn1 folded in and its ReLU, and fc2 with its bias.
    public let fc1: Conv2d
    public let fc2: Conv2d
    public let radix: Int

    public init(conv: Conv2d, fc1: Conv2d, fc2: Conv2d, radix: Int) {
        precondition(radix >= 1 && conv.outChannels % radix == 0, "\(conv.outChannels) channels do not split into radix \(radix)")
        precondition(fc1.inChannels == conv.outChannels / radix && fc2.outChannels == conv.outChannels, "attention widths do not chain")
        self.conv = conv
        self.fc1 = fc1
        self.fc2 = fc2
        self.radix = radix
    }

    /// [N, Cin, H, W] → [N, C, H, W], C = conv's outputs / radix.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let splits = conv(x)
        let logits = fc2(fc1(Self.meanOfSplits(splits, radix: radix)))
        return Self.attend(splits, logits: logits, radix: radix)
    }

    /// [N, R·C, H, W] → [N, C, 1, 1]: the splits summed, then averaged over the plane (in Double, so the
    /// mean of a large plane stays within one float rounding of the exact value).
    public static func meanOfSplits(_ splits: Tensor, radix: Int) -> Tensor {
        let (n, channels, plane) = (splits.dim(0), splits.dim(1) / radix, splits.dim(2) * splits.dim(3))
        var output = Tensor(uninitializedShape: [n, channels, 1, 1])
        splits.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                let (source, target) = (input.baseAddress!, out.baseAddress!)
                Compute.parallelFor(n * channels, minimumPerThread: 16) { range in
                    for index in range {
                        let (image, channel) = index.quotientAndRemainder(dividingBy: channels)
                        var sum = 0.0
                        for r in 0..<radix {
                            let base = source + ((image * radix + r) * channels + channel) * plane
                            for i in 0..<plane { sum += Double(base[i]) }
                        }
                        target[index] = Float(sum / Double(plane))
                    }
                }
            }
        }
        return output
    }

    /// Σ_r softmax_r(logits) · split r, per image and channel: [N, R·C, H, W] and [N, R·C, 1, 1] → [N, C, H, W].
    public static func attend(_ splits: Tensor, logits: Tensor, radix: Int) -> Tensor {
        let (n, channels, height, width) = (splits.dim(0), splits.dim(1) / radix, splits.dim(2), splits.dim(3))
        let plane = height * width
        precondition(logits.count == n * radix * channels, "attention logits \(logits.shape) for splits \(splits.shape)")
        var output = Tensor(uninitializedShape: [n, channels, height, width])
        splits.withUnsafeBufferPointer { input in
            logits.withUnsafeBufferPointer { z in
                output.withUnsafeMutableBufferPointer { out in
                    let (source, scores, target) = (input.baseAddress!, z.baseAddress!, out.baseAddress!)
                    Compute.parallelFor(n * channels, minimumPerThread: 4) { range in
                        var weights = [Float](repeating: 0, count: radix)
                        for index in range {
                            let (image, channel) = index.quotientAndRemainder(dividingBy: channels)
                            // torch.softmax: subtract the largest logit, exponentiate, divide by the sum.
                            var largest = -Float.infinity
                            for r in 0..<radix { largest = max(largest, scores[(image * radix + r) * channels + channel]) }
                            var total: Float = 0
                            for r in 0..<radix {
                                weights[r] = exp(scores[(image * radix + r) * channels + channel] - largest)
                                total += weights[r]
                            }
                            let destination = target + index * plane
                            for i in 0..<plane { destination[i] = 0 }
                            for r in 0..<radix {
                                let weight = weights[r] / total
                                let split = source + ((image * radix + r) * channels + channel) * plane
                                for i in 0..<plane { destination[i] += weight * split[i] }
                            }
                        }
                    }
                }
            }
        }
        return output
    }
}
