/// Features the trunk hands to the heads, named as the reference runtime names them.
public struct TrunkFeatures: Sendable {
    /// '0': decoder output, stride 4.
    public let decoded: Tensor
    /// '1', '2', '3': ResNet layer2, layer3, layer4 outputs (strides 8, 16, 32).
    public let layer2: Tensor
    public let layer3: Tensor
    public let layer4: Tensor

    /// The features by the reference's names '0'..'3'.
    public var named: [(String, Tensor)] { [("0", decoded), ("1", layer2), ("2", layer3), ("3", layer4)] }
}

/// The edge's shared body (reference `RuntimeEntropicSharedBody` after entropy decoding):
/// bottleneck decoder, then layer2..layer4 of the backbone (ResNet-50's Bottleneck blocks, or ResNeSt's).
public struct SharedTrunk: Sendable {
    let decoder: BottleneckDecoder
    let layer2: any TrunkStage, layer3: any TrunkStage, layer4: any TrunkStage

    init(_ scope: WeightScope, architecture: LadonArchitecture) throws(WeightsError) {
        let trunk = architecture.trunk
        decoder = try BottleneckDecoder(scope.child("decoder"), channels: architecture.bottleneck.decoderChannels)
        var inplanes = trunk.inplanes
        var layers: [any TrunkStage] = []
        for index in 0..<3 {
            let layer = scope.child("layer\(index + 2)")
            let (planes, blocks) = (trunk.planes[index], trunk.blocks[index])
            switch trunk.blockKind {
            case .resnet:
                layers.append(
                    try ResNetLayer(
                        layer, inplanes: inplanes, planes: planes, blocks: blocks, expansion: trunk.expansion, eps: trunk.batchNormEps))
            case .resnest:
                layers.append(
                    try ResNeStLayer(
                        layer, inplanes: inplanes, planes: planes, blocks: blocks, expansion: trunk.expansion, radix: trunk.radix ?? 2,
                        eps: trunk.batchNormEps))
            }
            inplanes = planes * trunk.expansion
        }
        (layer2, layer3, layer4) = (layers[0], layers[1], layers[2])
    }

    /// Dequantised latent [1, C, h, w] → the four feature maps.
    public func callAsFunction(_ latent: Tensor) -> TrunkFeatures {
        resNetLayers(decode(latent))
    }

    /// The bottleneck decoder alone: latent → feature '0'.
    public func decode(_ latent: Tensor) -> Tensor { decoder(latent) }

    /// layer2..layer4 on the decoder's output.
    public func resNetLayers(_ decoded: Tensor) -> TrunkFeatures {
        let f1 = layer2(decoded)
        let f2 = layer3(f1)
        return TrunkFeatures(decoded: decoded, layer2: f1, layer3: f2, layer4: layer4(f2))
    }
}
