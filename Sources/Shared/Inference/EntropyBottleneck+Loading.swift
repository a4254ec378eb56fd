extension EntropyBottleneck {
    /// The coder for a model file's tables; unusable tables are a bad model file, reported as such.
    static func loading(_ weights: EntropyBottleneckWeights) throws(WeightsError) -> EntropyBottleneck {
        do {
            return try EntropyBottleneck(weights)
        } catch {
            throw .badArchitecture(reason: "\(error)")
        }
    }
}
