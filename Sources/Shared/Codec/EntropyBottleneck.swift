/// compressai 1.2.8 `EntropyBottleneck.compress` / `decompress` for one latent, byte for byte.
///
/// compress: symbol = Int32(round(y − median)) with ties to even (`quantize(..., "symbols", medians)`), the
/// CDF index of every element is its channel (`_build_indexes`), and the symbols are rANS-coded in
/// [C, h, w] order (`RansEncoder.encode_with_indexes`). decompress inverts it and adds the medians back.
/// Out-of-table symbols take compressai's escape: the table's last symbol, then the count of 4-bit
/// nibbles, then the nibbles of 2·(v − escape) (above) or −2·v − 1 (below), low nibble first.
public struct EntropyBottleneck: Sendable {
    public let channels: Int
    /// Per-channel medians, `quantiles[:, 0, 1]`.
    public let medians: [Float]
    let tables: RansTables

    /// Escaped values must fit in 31 bits, the most compressai's decoder reads back correctly.
    /// (compressai's own encoder stops at 28 bits: beyond that it never returns.)
    static let escapeLimit = 1 << 31

    public init(_ weights: EntropyBottleneckWeights) throws(CodecError) {
        try self.init(
            medians: weights.medians, quantizedCDF: weights.quantizedCDF,
            cdfLength: weights.cdfLength, offset: weights.offset)
    }

    /// Tables as `update()` leaves them: `_quantized_cdf` [C, L] flattened, `_cdf_length` [C], `_offset` [C].
    public init(medians: [Float], quantizedCDF: [Int32], cdfLength: [Int32], offset: [Int32]) throws(CodecError) {
        tables = try RansTables(
            quantizedCDF: quantizedCDF, cdfLength: cdfLength, offset: offset,
            channels: medians.count)
        for (channel, median) in medians.enumerated() where !median.isFinite {
            throw .badTable(channel: channel, reason: "median \(median) is not finite")
        }
        self.channels = medians.count
        self.medians = medians
    }

    // MARK: Encoding

    /// The integer symbols compressai codes for a [1, C, h, w] latent, in [C, h, w] order.
    public func symbols(of latent: Tensor) throws(CodecError) -> [Int32] {
        guard latent.rank == 4, latent.dim(0) == 1, latent.dim(1) == channels else {
            throw .shapeMismatch(expected: "[1, \(channels), h, w]", actual: latent.shape)
        }
        let plane = latent.dim(2) * latent.dim(3)
        let values = latent.scalars
        var symbols = [Int32](repeating: 0, count: values.count)
        // Beyond 2^30 no value can be escape-coded; the exact bound is checked while coding.
        let limit = Float(1 << 30)
        for channel in 0..<channels {
            let median = medians[channel]
            for i in channel * plane..<(channel + 1) * plane {
                let rounded = (values[i] - median).rounded(.toNearestOrEven)
                guard rounded.magnitude <= limit else { throw .valueOutOfRange(channel: channel, value: values[i]) }
                symbols[i] = Int32(rounded)
            }
        }
        return symbols
    }

    /// The coded bytes of a [1, C, h, w] latent: `EntropyBottleneck.compress(latent)[0]`.
    public func compress(_ latent: Tensor) throws(CodecError) -> [UInt8] {
        try encode(symbols: symbols(of: latent))
    }

    /// Codes symbols in [C, h, w] order, each with its channel's table.
    public func encode(symbols: [Int32]) throws(CodecError) -> [UInt8] {
        guard symbols.count % channels == 0 else {
            throw .shapeMismatch(expected: "a multiple of \(channels) symbols", actual: [symbols.count])
        }
        let plane = symbols.count / channels
        var encoder = Rans64Encoder(expectedWords: symbols.count / 8 + 16)
        let (cdf, rowStride, divisors) = (tables.cdf, tables.stride, tables.divisors)
        for channel in stride(from: channels - 1, through: 0, by: -1) {
            let escape = tables.escape[channel]
            let offset = tables.offset[channel]
            let row = channel * rowStride
            for i in stride(from: (channel + 1) * plane - 1, through: channel * plane, by: -1) {
                var index = Int(symbols[i]) - offset
                if index < 0 || index >= escape {
                    let raw = index < 0 ? -2 * index - 1 : 2 * (index - escape)
                    guard raw < Self.escapeLimit else {
                        throw .valueOutOfRange(channel: channel, value: Float(symbols[i]))
                    }
                    var nibbles = 0
                    while raw >> (4 * nibbles) != 0 { nibbles += 1 }
                    // Reverse of the decoding order: count, then nibbles low to high.
                    for j in stride(from: nibbles - 1, through: 0, by: -1) {
                        encoder.putNibble(UInt32(truncatingIfNeeded: raw >> (4 * j)))
                    }
                    encoder.putNibble(UInt32(nibbles))
                    index = escape
                }
                let start = cdf[row + index]
                encoder.put(start: start, frequency: cdf[row + index + 1] - start, divisor: divisors[row + index])
            }
        }
        return encoder.bytes()
    }

    // MARK: Decoding

    /// The symbols of a coded [1, C, height, width] latent, in [C, h, w] order.
    public func decodeSymbols(_ bytes: [UInt8], height: Int, width: Int) throws(CodecError) -> [Int32] {
        guard height >= 0, width >= 0, height.multipliedReportingOverflow(by: width).overflow == false,
            (height * width).multipliedReportingOverflow(by: channels).overflow == false,
            height * width * channels <= 1 << 31
        else { throw .shapeMismatch(expected: "[1, \(channels), h, w] of at most 2^31 elements", actual: [1, channels, height, width]) }
        guard var decoder = Rans64Decoder(bytes) else { throw .badLength(size: bytes.count) }
        let plane = height * width
        let count = plane * channels
        var symbols = [Int32](repeating: 0, count: count)
        let (cdf, rowStride, lookup) = (tables.cdf, tables.stride, tables.lookup)
        let bucketShift = RansTables.precision - RansTables.lookupBits
        for channel in 0..<channels {
            let escape = tables.escape[channel]
            let offset = tables.offset[channel]
            let row = channel * rowStride
            let buckets = channel << Int(RansTables.lookupBits)
            for i in channel * plane..<(channel + 1) * plane {
                let cumulative = decoder.cumulative
                // cdf[escape + 1] = 2^16 > cumulative, so the scan stops inside the row.
                var index = Int(lookup[buckets + Int(cumulative >> bucketShift)])
                while cdf[row + index + 1] <= cumulative { index += 1 }
                let start = cdf[row + index]
                guard decoder.advance(start: start, frequency: cdf[row + index + 1] - start) else {
                    throw .truncated(size: bytes.count, symbolsDecoded: i, symbolsExpected: count)
                }
                if index == escape {
                    index = try Self.decodeEscape(&decoder, escape: escape, at: i, size: bytes.count, count: count)
                }
                let value = index + offset
                guard value >= Int(Int32.min), value <= Int(Int32.max) else { throw .symbolOutOfRange(index: i) }
                symbols[i] = Int32(value)
            }
        }
        guard decoder.remaining == 0 else { throw .trailingBytes(count: decoder.remaining) }
        guard decoder.state == Rans64.lowerBound else { throw .corruptStream(size: bytes.count) }
        return symbols
    }

    /// The dequantized latent [1, C, height, width]: symbol + median, as `decompress` returns it.
    public func decompress(_ bytes: [UInt8], height: Int, width: Int) throws(CodecError) -> Tensor {
        let symbols = try decodeSymbols(bytes, height: height, width: width)
        return dequantize(symbols, height: height, width: width)
    }

    /// Symbols in [C, h, w] order to the [1, C, h, w] latent the decoder sees.
    public func dequantize(_ symbols: [Int32], height: Int, width: Int) -> Tensor {
        precondition(symbols.count == channels * height * width, "\(symbols.count) symbols for \(channels)x\(height)x\(width)")
        let plane = height * width
        var latent = Tensor(uninitializedShape: [1, channels, height, width])
        let medians = self.medians
        latent.withUnsafeMutableBufferPointer { values in
            for channel in 0..<channels {
                for i in channel * plane..<(channel + 1) * plane {
                    values[i] = Float(symbols[i]) + medians[channel]
                }
            }
        }
        return latent
    }

    /// The value of an escaped symbol, relative to the offset. Valid streams carry at most 8 nibbles.
    private static func decodeEscape(
        _ decoder: inout Rans64Decoder, escape: Int, at i: Int, size: Int,
        count: Int
    ) throws(CodecError) -> Int {
        guard let nibbles = decoder.nibble() else {
            throw .truncated(size: size, symbolsDecoded: i, symbolsExpected: count)
        }
        // compressai counts in repeated nibbles of 15; 8 nibbles already hold 32 bits.
        guard nibbles <= 8 else { throw .symbolOutOfRange(index: i) }
        var raw = 0
        for j in 0..<Int(nibbles) {
            guard let nibble = decoder.nibble() else {
                throw .truncated(size: size, symbolsDecoded: i, symbolsExpected: count)
            }
            raw |= Int(nibble) << (4 * j)
        }
        guard raw < escapeLimit else { throw .symbolOutOfRange(index: i) }
        return raw & 1 == 1 ? -(raw >> 1) - 1 : (raw >> 1) + escape
    }
}
