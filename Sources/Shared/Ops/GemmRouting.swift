/// Which library multiplies which GEMM block (one thread's share of a product), decided once per process from
/// what the two libraries run on this CPU and from `LADON_GEMM` ("openblas" or "onednn", for comparing them).
///
/// Measured at 2 threads on the official edge frame:
/// - Zen 3 (AVX2): oneDNN is 5-25 % faster below ~1 G MACs (the trunk's 1x1 and Winograd products, the encoder),
///   OpenBLAS 1-12 % faster on the 2-13 G MAC products and on transposed B, so the two share the work by size.
/// - An AVX-512 Xeon (Emerald Rapids, family 6 model 207): Debian's OpenBLAS 0.3.21 does not know the CPU and
///   falls back to its SSE3 "Prescott" kernels (edge frame 907-927 ms); told to use its SkylakeX kernels it takes
///   454-466 ms, and oneDNN for every product 447-448 ms (box head 105-109 ms against 109-133), so oneDNN takes
///   everything.
public enum GemmRouting: Equatable, Sendable {
    case openBLASOnly
    case oneDNNOnly
    /// Blocks under `limit` multiply-accumulates with B not transposed go to oneDNN, the rest to OpenBLAS.
    case bySize(limit: Int)

    /// The block size below which oneDNN is faster on AVX2 (see the type's comment).
    public static let sizeLimit = 1_000_000_000

    /// OpenBLAS's kernel families that use AVX2 and FMA or wider, the ones measured against oneDNN. Any other
    /// name on an AVX2 CPU ("Prescott", "Sandybridge", ...) means OpenBLAS did not recognise the CPU.
    static let openBLASVectorFamilies: Set<String> = ["Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"]

    /// The routing for a CPU where oneDNN runs kernels `oneDNNVectorBits` wide (0: not at all) and OpenBLAS
    /// chose the kernel family `openBLASCore`, with `request` the value of `LADON_GEMM`.
    public static func choose(request: String?, oneDNNVectorBits: Int, openBLASCore: String) -> GemmRouting {
        guard oneDNNVectorBits > 0, request != "openblas" else { return .openBLASOnly }
        if request == "onednn" || oneDNNVectorBits >= 512 || !openBLASVectorFamilies.contains(openBLASCore) {
            return .oneDNNOnly
        }
        return .bySize(limit: sizeLimit)
    }

    /// Whether oneDNN multiplies a block of this many multiply-accumulates.
    public func usesOneDNN(multiplyAccumulates: Int, transposeB: Bool) -> Bool {
        switch self {
        case .openBLASOnly: false
        case .oneDNNOnly: true
        case let .bySize(limit): !transposeB && multiplyAccumulates < limit
        }
    }
}
