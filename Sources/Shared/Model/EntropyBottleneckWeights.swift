/// compressai `EntropyBottleneck` tables as exported after `update()`: what both ends of the link need
/// to quantise and (de)code the latent.
public struct EntropyBottleneckWeights: Sendable, Equatable {
    public let channels: Int
    /// Per-channel medians, `quantiles[:, 0, 1]`.
    public let medians: [Float]
    /// [channels, maxLength] quantised CDFs, 16-bit precision.
    public let quantizedCDF: [Int32]
    public let cdfLength: [Int32]
    public let offset: [Int32]

    init(_ scope: WeightScope, channels: Int) throws(WeightsError) {
        let quantiles = try scope.tensor("quantiles", shape: [channels, 1, 3]).scalars
        medians = (0..<channels).map { quantiles[$0 * 3 + 1] }
        let cdfShape = try scope.reader.shape(of: scope.key("_quantized_cdf"))
        guard cdfShape.count == 2, cdfShape[0] == channels, cdfShape[1] >= 2 else {
            throw .shapeMismatch(key: scope.key("_quantized_cdf"), expected: [channels, -1], actual: cdfShape)
        }
        quantizedCDF = try scope.reader.int32s(scope.key("_quantized_cdf"), shape: cdfShape)
        cdfLength = try scope.reader.int32s(scope.key("_cdf_length"), shape: [channels])
        offset = try scope.reader.int32s(scope.key("_offset"), shape: [channels])
        self.channels = channels
    }

    /// What the decoder sees: round(y − median) + median per channel, with `torch.round`'s ties to even.
    /// Layout: [1, C, h, w] in and out.
    public func quantizeDequantize(_ latent: Tensor) -> Tensor {
        precondition(latent.rank == 4 && latent.dim(1) == channels, "latent \(latent.shape) for \(channels) channels")
        var result = latent
        let plane = latent.dim(2) * latent.dim(3)
        let medians = self.medians
        result.withUnsafeMutableBufferPointer { values in
            for index in 0..<values.count {
                let median = medians[(index / plane) % medians.count]
                values[index] = (values[index] - median).rounded(.toNearestOrEven) + median
            }
        }
        return result
    }
}
