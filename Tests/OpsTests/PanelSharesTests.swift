import Shared
import Testing

/// The fused encoder pass gives each thread a share of every panel's rows; the shares must cover each panel
/// exactly once, in order, whatever the panel, map and thread sizes.
@Suite struct PanelSharesTests {
    /// (map height, rows per panel, shares): whole-map panels, short last panels, a one-row map, one row per
    /// panel, and more shares than the last panel has rows.
    @Test(arguments: [(13, 13, 2), (13, 3, 2), (13, 2, 2), (1, 4, 2), (7, 1, 1), (10, 4, 3), (5, 8, 8), (119, 16, 2)])
    func sharesCoverEveryPanelOnceInOrder(_ height: Int, _ rowsPerPanel: Int, _ shares: Int) {
        var covered: [Int] = []
        for start in stride(from: 0, to: height, by: rowsPerPanel) {
            let panel = start..<min(height, start + rowsPerPanel)
            var next = panel.lowerBound
            for share in 0..<shares {
                let rows = PanelShares.rows(
                    ofShare: share, of: shares, panelStart: start, rowsPerPanel: rowsPerPanel, height: height)
                #expect(rows.lowerBound == next, "share \(share) of panel \(panel) starts at \(rows.lowerBound)")
                #expect(rows.upperBound <= panel.upperBound, "share \(share) of panel \(panel) ends at \(rows.upperBound)")
                next = rows.upperBound
                covered += Array(rows)
            }
            #expect(next == panel.upperBound, "the shares of panel \(panel) end at \(next)")
        }
        #expect(covered == Array(0..<height))
    }

    @Test func sharesOfOnePanelDifferByAtMostOneRow() {
        let sizes = (0..<3).map {
            PanelShares.rows(ofShare: $0, of: 3, panelStart: 16, rowsPerPanel: 16, height: 40).count
        }
        #expect(sizes.reduce(0, +) == 16)
        #expect(sizes.max()! - sizes.min()! <= 1, "\(sizes)")
    }
}
