/// The fused pass behind `Conv2d.callAsFunction(_:after:normalizedBy:)`: a convolution computed by im2col a
/// panel of rows at a time, a GDN normalising each panel in place, and the next convolution's polyphase split
/// taking it while it is in cache.
///
/// Each thread takes its share of every panel's rows through all three steps, with buffers of its own: the rows
/// it computes are the ones it normalises and splits, in its own core's cache, and the phase rows the shares
/// write are disjoint. With each step split across the threads, every hand-off crossed cores and the encoder
/// took as long at two threads as at one.
struct ConvNormaliseSplit {
    let first: ConvPlan
    let gdn: GDN
    let split: PolyphasePlan
    let rowsPerPanel: Int
    let shares: Int

    /// Rows of the map between the two convolutions (the first one's output).
    var height: Int { first.outHeight }
    var width: Int { first.outWidth }
    /// The most rows one share of a panel holds.
    var shareRows: Int { (rowsPerPanel + shares - 1) / shares }

    init(first: ConvPlan, gdn: GDN, split: PolyphasePlan, rowsPerPanel: Int, threads: Int) {
        precondition(rowsPerPanel > 0 && threads > 0, "panels of \(rowsPerPanel) rows over \(threads) threads")
        self.first = first
        self.gdn = gdn
        self.split = split
        self.rowsPerPanel = rowsPerPanel
        self.shares = min(threads, rowsPerPanel)
    }

    /// The rows share `share` takes of the panel that starts at row `start`: consecutive, the shares of one
    /// panel in order, together the whole panel (some empty when the last panel is short).
    func rows(ofShare share: Int, panelStart start: Int) -> Range<Int> {
        PanelShares.rows(ofShare: share, of: shares, panelStart: start, rowsPerPanel: rowsPerPanel, height: height)
    }

    /// Fills every phase row that holds a row of the map, for one image at `source` (the first convolution's
    /// input, [Cin, H, W]).
    func fill(
        _ phases: UnsafeMutablePointer<Float>, from source: UnsafePointer<Float>,
        packedWeight: UnsafePointer<Float>, bias: [Float]?
    ) {
        Compute.parallelFor(shares) { ownShares in
            var panel = Tensor(uninitializedShape: [gdn.beta.count, shareRows * width])
            var columns = Tensor(uninitializedShape: [first.columnRowCount, shareRows * width])
            var scratch = GDN.PanelScratch(channels: gdn.beta.count, pixels: shareRows * width)
            panel.withUnsafeMutableBufferPointer { p in
                columns.withUnsafeMutableBufferPointer { c in
                    for share in ownShares {
                        fillShare(
                            share, of: source, packedWeight: packedWeight, bias: bias, panel: p.baseAddress!,
                            columns: c.baseAddress!, scratch: &scratch, into: phases)
                    }
                }
            }
        }
    }

    /// One share of every panel: computed, normalised and split, one panel after another.
    private func fillShare(
        _ share: Int, of source: UnsafePointer<Float>, packedWeight: UnsafePointer<Float>, bias: [Float]?,
        panel: UnsafeMutablePointer<Float>, columns: UnsafeMutablePointer<Float>, scratch: inout GDN.PanelScratch,
        into phases: UnsafeMutablePointer<Float>
    ) {
        for start in stride(from: 0, to: height, by: rowsPerPanel) {
            let rows = rows(ofShare: share, panelStart: start)
            guard !rows.isEmpty else { continue }
            let pixels = rows.count * width
            first.run(rows: rows, input: source, packedWeight: packedWeight, into: panel, bias: bias, columns: columns)
            gdn.normalise(panel: panel, pixels: pixels, scratch: &scratch)
            split.split(rows: rows, of: panel, channelStride: pixels, into: phases)
        }
    }
}

/// How the threads share a panel of rows (`ConvNormaliseSplit`): a rule apart from the kernels, so it is tested
/// on its own.
public enum PanelShares {
    /// The rows share `share` of `shares` takes of the panel of up to `rowsPerPanel` rows that starts at `start`
    /// in a map of `height` rows: consecutive, the shares of one panel in order, together the whole panel, some
    /// empty when the panel has fewer rows than shares.
    public static func rows(ofShare share: Int, of shares: Int, panelStart start: Int, rowsPerPanel: Int, height: Int)
        -> Range<Int>
    {
        let count = min(height, start + rowsPerPanel) - start
        return (start + count * share / shares)..<(start + count * (share + 1) / shares)
    }
}
