/// compressai's per-channel rANS tables, checked once and laid out for the coding loops.
///
/// compressai (`EntropyModel.update()` → `_quantized_cdf`, `_cdf_length`, `_offset`) stores per channel a
/// CDF of `cdf_length` entries at 16-bit precision: cdf[0] = 0, strictly increasing, cdf[last] = 65536.
/// Symbol index v (value − offset) in 0 ..< cdf_length − 2 is coded with the range cdf[v] ..< cdf[v+1];
/// index cdf_length − 2 is the escape that announces a value coded in 4-bit bypass nibbles.
struct RansTables: Sendable {
    static let precision: UInt32 = 16
    static let total: UInt32 = 1 << precision
    /// Decoding finds the symbol of a cumulative frequency by a 2^lookupBits-bucket table, then a short scan.
    static let lookupBits: UInt32 = 12

    let channels: Int
    /// [channels, stride] CDF values; only the first cdfLength of each row are used.
    let cdf: [UInt32]
    let stride: Int
    /// Per channel: cdf_length − 2, the escape symbol index.
    let escape: [Int]
    let offset: [Int]
    /// [channels, 2^lookupBits]: the symbol whose range holds the bucket's first cumulative frequency.
    let lookup: [UInt16]
    /// [channels, stride]: the encoder's division by each symbol's frequency as a multiplication.
    let divisors: [Rans64Divisor]

    init(quantizedCDF: [Int32], cdfLength: [Int32], offset: [Int32], channels: Int) throws(CodecError) {
        guard channels > 0, quantizedCDF.count % channels == 0, quantizedCDF.count / channels >= 2 else {
            throw .badTable(channel: 0, reason: "\(quantizedCDF.count) CDF values for \(channels) channels")
        }
        guard cdfLength.count == channels, offset.count == channels else {
            throw .badTable(channel: 0, reason: "\(cdfLength.count) lengths and \(offset.count) offsets for \(channels) channels")
        }
        let stride = quantizedCDF.count / channels
        var cdf = [UInt32](repeating: 0, count: quantizedCDF.count)
        var lookup = [UInt16](repeating: 0, count: channels << Self.lookupBits)
        for channel in 0..<channels {
            let length = Int(cdfLength[channel])
            guard length >= 2, length <= stride else {
                throw .badTable(channel: channel, reason: "CDF length \(length) outside 2...\(stride)")
            }
            let row = quantizedCDF[channel * stride..<channel * stride + length]
            guard row.first == 0, row.last == Int32(Self.total) else {
                throw .badTable(channel: channel, reason: "CDF must run from 0 to \(Self.total)")
            }
            for i in row.indices.dropFirst() where row[i] <= row[i - 1] {
                throw .badTable(channel: channel, reason: "CDF is not strictly increasing at entry \(i - channel * stride)")
            }
            for (i, value) in row.enumerated() { cdf[channel * stride + i] = UInt32(value) }
            // Strictly increasing from 0 to 65536 bounds length by 65537, so a symbol index fits UInt16.
            var symbol = 0
            let bucketWidth = Self.total >> Self.lookupBits
            for bucket in 0..<(1 << Int(Self.lookupBits)) {
                let first = UInt32(bucket) * bucketWidth
                while cdf[channel * stride + symbol + 1] <= first { symbol += 1 }
                lookup[(channel << Int(Self.lookupBits)) + bucket] = UInt16(symbol)
            }
        }
        self.channels = channels
        self.cdf = cdf
        self.stride = stride
        self.escape = cdfLength.map { Int($0) - 2 }
        self.offset = offset.map(Int.init)
        self.lookup = lookup
        divisors = (0..<cdf.count).map { i in
            let frequency = i % stride + 1 < stride ? cdf[i + 1] &- cdf[i] : 0
            return Rans64Divisor(frequency == 0 || frequency > Self.total ? 1 : frequency)
        }
    }
}
