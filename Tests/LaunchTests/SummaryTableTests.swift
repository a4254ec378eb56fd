import LadonLaunch
import Testing

/// The launcher's live table from the sink's summary lines.
@Suite struct SummaryTableTests {
    @Test func summaryLinesBecomeOneRowPerNodeAndOneForAllWhileOtherLinesPass() {
        var table = SummaryTable()
        #expect({ !table.take("ladon-edge serve: results=3") }())
        #expect({ table.take("sink summary: frames=4 errors=0 drops=1 bytes_per_frame=20405.0 latency_ms_p50=107.1 malformed=0 nodes=2") }())
        #expect({ table.take("sink summary: node=cam-02 frames=1 errors=0 drops=0 bytes_per_frame=20000.0 latency_ms_p50=90.0") }())
        #expect({ table.take("sink summary: node=cam-01 frames=3 errors=0 drops=1 bytes_per_frame=20540.0 latency_ms_p50=110.2") }())
        #expect({ table.take("sink summary: node=cam-01 frames=5 errors=1 drops=1 bytes_per_frame=20541.0 latency_ms_p50=111.0") }())
        let lines = table.lines()
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("node") && lines[0].contains("bytes/frame") && lines[0].contains("p99 ms"))
        #expect(lines[1].hasPrefix("cam-01") && lines[1].contains("  5  ") && lines[1].contains("111.0"))
        #expect(lines[2].hasPrefix("cam-02"))
        #expect(lines[3].hasPrefix("all") && lines[3].hasSuffix("-"), "no p99 in the overall line: \(lines[3])")
    }
}
