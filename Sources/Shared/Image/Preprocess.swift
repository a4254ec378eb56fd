/// torchvision's `GeneralizedRCNNTransform` at inference, as the Ladon runtime runs it on one frame (the
/// checks here, the arithmetic in the kernels: Ops/PixelPlanes.swift, Ops/Resize.swift):
/// 8-bit pixels → floats in [0, 1] (`to_tensor`: p / 255) → `(x − mean) / std` → bilinear resize by
/// scale = min(min_size / short side, max_size / long side) → zero padding at the bottom and right to
/// multiples of `size_divisible`.
///
/// The scale is computed in double precision and handed to `F.interpolate` as a scale factor with
/// recompute_scale_factor=True, so the resized size is ⌊side · scale⌋ and the kernel then uses
/// in/out as its ratio (see `Resize`). A 640x480 frame becomes 416x312, padded to 416x320.
public struct Preprocessor: Sendable {
    public let config: LadonArchitecture.Preprocess

    public init(_ config: LadonArchitecture.Preprocess) {
        self.config = config
    }

    /// Layout: grey (1 channel, read as R = G = B) or RGB pixels → input [1, 3, Hp, Wp].
    public func callAsFunction(_ image: PixelImage) throws(ImageError) -> PreprocessedImage {
        guard image.channels == 1 || image.channels == 3 else {
            throw .unsupported(reason: "\(image.channels)-channel pixels; preprocessing takes grey or RGB")
        }
        guard image.size.height > 0, image.size.width > 0 else {
            throw .unsupported(reason: "empty \(image.size.width)x\(image.size.height) image")
        }
        // A long thin image (1x2000, say) scales its short side to nothing: torchvision fails there too.
        let resized = resizedSize(for: image.size)
        guard resized.height > 0, resized.width > 0 else {
            throw .unsupported(
                reason: "a \(image.size.width)x\(image.size.height) image resizes to \(resized.width)x\(resized.height) for this model (too narrow)")
        }
        return run(normalized(image))
    }

    /// The same on an image already in [0, 1]. Layout: [1, 3, H, W] → [1, 3, Hp, Wp].
    public func callAsFunction(unitImage image: Tensor) -> PreprocessedImage {
        precondition(image.rank == 4 && image.dim(0) == 1 && image.dim(1) == 3, "expects [1, 3, H, W], got \(image.shape)")
        var x = image
        let plane = image.dim(2) * image.dim(3)
        x.withUnsafeMutableBufferPointer { values in
            for channel in 0..<3 {
                let (mean, std) = (config.mean[channel], config.std[channel])
                for i in channel * plane..<(channel + 1) * plane { values[i] = (values[i] - mean) / std }
            }
        }
        return run(x)
    }

    /// The scale torchvision resizes by, in double precision as Python computes it.
    public func scale(for size: ImageSize) -> Double {
        let (short, long) = (min(size.height, size.width), max(size.height, size.width))
        return min(Double(config.minSize) / Double(short), Double(config.maxSize) / Double(long))
    }

    public func resizedSize(for size: ImageSize) -> ImageSize {
        Resize.scaledSize(size, scale: scale(for: size))
    }

    /// Each side rounded up to a multiple of `size_divisible`.
    public func paddedSize(for resized: ImageSize) -> ImageSize {
        let step = config.sizeDivisible
        return ImageSize(height: (resized.height + step - 1) / step * step, width: (resized.width + step - 1) / step * step)
    }

    // MARK: steps

    private func normalized(_ image: PixelImage) -> Tensor {
        Tensor.normalizedPlanes(
            pixels: image.pixels, height: image.size.height, width: image.size.width, channels: image.channels,
            mean: config.mean, std: config.std)
    }

    private func run(_ x: Tensor) -> PreprocessedImage {
        let original = ImageSize(height: x.dim(2), width: x.dim(3))
        let resized = resizedSize(for: original)
        let padded = paddedSize(for: resized)
        let input = Resize.bilinear(x, height: resized.height, width: resized.width).zeroPadded(height: padded.height, width: padded.width)
        return PreprocessedImage(input: input, originalSize: original, resizedSize: resized)
    }
}

/// The network input and the two sizes the heads need to map results back to the frame.
public struct PreprocessedImage: Sendable {
    /// [1, 3, Hp, Wp]: the resized image, zero-padded at the bottom and right.
    public var input: Tensor
    public var originalSize: ImageSize
    public var resizedSize: ImageSize
    public var inputSize: ImageSize { ImageSize(height: input.dim(2), width: input.dim(3)) }
}
