/// The rANS coder compressai 1.2.8 uses (ryg_rans `rans64.h` plus compressai's 4-bit bypass): a 64-bit
/// state kept in [2^31, 2^63), renormalised 32 bits at a time, symbols at 16-bit precision. The stream is
/// the final encoder state (low word, high word) followed by the renormalisation words, little-endian; the
/// decoder reads it front to back and, after the last symbol, is back at the encoder's initial state.
enum Rans64 {
    static let lowerBound: UInt64 = 1 << 31
    static let nibbleBits: UInt64 = 4
}

/// Exact x / frequency for x < 2^63 and 1 ≤ frequency ≤ 2^16 by one 64x64→128-bit multiplication
/// (Granlund and Montgomery, "Division by invariant integers using multiplication", 1994): with
/// l = ceil(log2 frequency) and m = ceil(2^(63+l) / frequency) < 2^64, x / frequency = (x·m) >> (63 + l).
/// The encoder's state update divides on its critical path; a hardware divide there costs more than
/// the rest of the step.
struct Rans64Divisor: Sendable {
    let multiplier: UInt64
    let shift: UInt64

    init(_ frequency: UInt32) {
        precondition(frequency >= 1 && frequency <= 1 << 16, "frequency \(frequency)")
        let l = UInt64(32 - (frequency - 1).leadingZeroBitCount)  // ceil(log2 frequency)
        // ceil(2^(63+l) / f) = floor((2^(63+l) − 1) / f) + 1, with the dividend as high:low words.
        let f = UInt64(frequency)
        let (quotient, _) = f.dividingFullWidth(
            (
                high: l == 0 ? 0 : (UInt64(1) << (l - 1)) &- 1,
                low: l == 0 ? (UInt64(1) << 63) &- 1 : UInt64.max
            ))
        multiplier = quotient &+ 1
        shift = l
    }

    @inline(__always) func quotient(of x: UInt64) -> UInt64 {
        let (high, low) = x.multipliedFullWidth(by: multiplier)
        return ((high << 1) | (low >> 63)) >> shift
    }
}

/// Encodes symbols in reverse order (rANS is last in, first out).
struct Rans64Encoder {
    private var state = Rans64.lowerBound
    /// Renormalisation words in the order they were produced; the stream holds them reversed.
    private var emitted: [UInt32] = []

    init(expectedWords: Int) { emitted.reserveCapacity(expectedWords) }

    /// Pushes the symbol whose cumulative range is start ..< start + frequency out of 2^16.
    @inline(__always) mutating func put(start: UInt32, frequency: UInt32, divisor: Rans64Divisor) {
        var x = state
        // Renormalise so the result stays below 2^63: the bound is ((lowerBound >> 16) << 32) · frequency.
        if x >= UInt64(frequency) << 47 {
            emitted.append(UInt32(truncatingIfNeeded: x))
            x >>= 32
        }
        let f = UInt64(frequency)
        let quotient = divisor.quotient(of: x)
        state = (quotient << 16) &+ (x &- quotient &* f) &+ UInt64(start)
    }

    /// Pushes 4 raw bits: a symbol of frequency 2^12 whose start is the value, so the bound is 2^59.
    @inline(__always) mutating func putNibble(_ value: UInt32) {
        var x = state
        if x >= 1 << 59 {
            emitted.append(UInt32(truncatingIfNeeded: x))
            x >>= 32
        }
        state = (x << Rans64.nibbleBits) | UInt64(value & 0xF)
    }

    /// The finished stream.
    func bytes() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 4 * (emitted.count + 2))
        func store(_ word: UInt32, at index: Int) {
            bytes[4 * index] = UInt8(truncatingIfNeeded: word)
            bytes[4 * index + 1] = UInt8(truncatingIfNeeded: word >> 8)
            bytes[4 * index + 2] = UInt8(truncatingIfNeeded: word >> 16)
            bytes[4 * index + 3] = UInt8(truncatingIfNeeded: word >> 24)
        }
        store(UInt32(truncatingIfNeeded: state), at: 0)
        store(UInt32(truncatingIfNeeded: state >> 32), at: 1)
        for (i, word) in emitted.reversed().enumerated() { store(word, at: i + 2) }
        return bytes
    }
}

/// Reads a stream front to back. Every read is bounds-checked: it reports exhaustion instead of reading on.
struct Rans64Decoder {
    private let bytes: [UInt8]
    private var position: Int
    private(set) var state: UInt64

    /// Fails when the stream is not a whole number of words or lacks the 8-byte initial state.
    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 8, bytes.count % 4 == 0 else { return nil }
        self.bytes = bytes
        position = 0
        state = 0
        let low = UInt64(nextWord())
        state = low | UInt64(nextWord()) << 32
    }

    /// Bytes not yet read.
    var remaining: Int { bytes.count - position }

    /// The cumulative frequency the next symbol's range must hold.
    @inline(__always) var cumulative: UInt32 { UInt32(truncatingIfNeeded: state) & 0xFFFF }

    /// Pops the symbol with range start ..< start + frequency (which must hold `cumulative`); false when a
    /// renormalisation word is needed and the stream has ended.
    @inline(__always) mutating func advance(start: UInt32, frequency: UInt32) -> Bool {
        // No overflow: frequency · (state >> 16) + (cumulative − start) < frequency · 2^48 ≤ 2^64.
        let x = UInt64(frequency) &* (state >> 16) &+ UInt64(cumulative &- start)
        return renormalise(x)
    }

    /// Pops 4 raw bits, or nil when the stream has ended.
    @inline(__always) mutating func nibble() -> UInt32? {
        let value = UInt32(truncatingIfNeeded: state) & 0xF
        return renormalise(state >> Rans64.nibbleBits) ? value : nil
    }

    @inline(__always) private mutating func renormalise(_ x: UInt64) -> Bool {
        state = x
        if x < Rans64.lowerBound {
            guard position + 4 <= bytes.count else { return false }
            state = (x << 32) | UInt64(nextWord())
        }
        return true
    }

    @inline(__always) private mutating func nextWord() -> UInt32 {
        let word =
            UInt32(bytes[position]) | UInt32(bytes[position + 1]) << 8
            | UInt32(bytes[position + 2]) << 16 | UInt32(bytes[position + 3]) << 24
        position += 4
        return word
    }
}
