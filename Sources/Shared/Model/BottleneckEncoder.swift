/// The mobile half of Ladon's factorized-prior bottleneck (sc2bench `FPBasedResNetBottleneck.encoder`):
/// conv5x5/2 → GDN → conv5x5/2 → GDN → conv2x2, all convolutions without bias.
///
/// Layout: preprocessed image [1, 3, H, W] → latent [1, C, H/4 − 1, W/4 − 1].
public struct BottleneckEncoder: Sendable {
    let conv0: Conv2d, gdn1: GDN, conv2: Conv2d, gdn3: GDN, conv4: Conv2d

    init(_ scope: WeightScope, channels c: [Int]) throws(WeightsError) {
        conv0 = try scope.conv("0", in: c[0], out: c[1], kernel: 5, geometry: .init(stride: 2, padding: 2))
        gdn1 = try scope.gdn("1", channels: c[1], inverse: false)
        conv2 = try scope.conv("2", in: c[1], out: c[2], kernel: 5, geometry: .init(stride: 2, padding: 2))
        gdn3 = try scope.gdn("3", channels: c[2], inverse: false)
        conv4 = try scope.conv("4", in: c[2], out: c[3], kernel: 2)
    }

    public func callAsFunction(_ image: Tensor) -> Tensor {
        conv4(gdn3(conv2(image, after: conv0, normalizedBy: gdn1)))
    }
}

/// The edge half of the bottleneck (sc2bench `FPBasedResNetBottleneck.decoder`):
/// conv2x2 pad 1 → IGDN → conv2x2 → IGDN → conv2x2 pad 1, without bias.
///
/// Layout: latent [1, C, h, w] → feature '0' [1, Ctarget, h + 1, w + 1].
public struct BottleneckDecoder: Sendable {
    let conv0: Conv2d, igdn1: GDN, conv2: Conv2d, igdn3: GDN, conv4: Conv2d

    init(_ scope: WeightScope, channels c: [Int]) throws(WeightsError) {
        conv0 = try scope.conv("0", in: c[0], out: c[1], kernel: 2, geometry: .init(padding: 1))
        igdn1 = try scope.gdn("1", channels: c[1], inverse: true)
        conv2 = try scope.conv("2", in: c[1], out: c[2], kernel: 2)
        igdn3 = try scope.gdn("3", channels: c[2], inverse: true)
        conv4 = try scope.conv("4", in: c[2], out: c[3], kernel: 2, geometry: .init(padding: 1))
    }

    public func callAsFunction(_ latent: Tensor) -> Tensor {
        conv4(igdn3(conv2(igdn1(conv0(latent)))))
    }
}
