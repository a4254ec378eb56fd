extension ModelIdentity {
    /// The identity of the model in `file`: backbone, β and an FNV-1a 64 hash over what gives a latent
    /// its meaning (bottleneck channels, encoder weights, entropy tables). Two files that differ only
    /// in the trunk or heads accept each other's latents, as Ladon's training steps 2 and 3 intend.
    public init(_ model: LadonModelFile) throws(WeightsError) {
        var hash = FNV1a64()
        hash.combine(model.architecture.bottleneck.encoderChannels.description.utf8)
        for key in model.file.entries.keys.sorted() where key.hasPrefix("encoder.") {
            let entry = try model.file.entry(key)
            hash.combine("\(key) \(entry.dtype) \(entry.shape)".utf8)
            try model.file.withRawBytes(key) { hash.combine($0) }
        }
        self.init(backbone: model.architecture.backbone, beta: model.architecture.beta, weightsHash: hash.value)
    }
}

/// 64-bit Fowler–Noll–Vo (FNV-1a): simple, stable across platforms, fast enough for a few hundred KB.
struct FNV1a64 {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func combine<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        for byte in bytes {
            value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
    }
}
