import Foundation
import Shared
import TestSupport
import Testing

/// A frame's identity (proto FrameHeader) from ingest to the sink: every message carries the same header.
@Suite struct FrameHeaderTests {
    static let header = FrameHeader(
        nodeID: "cam-07", sequence: 314, captureTimeMicroseconds: 1_790_000_000_271_828, source: "val-00003.jpg", droppedBefore: 5)

    @Test func theHeaderRidesUnchangedFromFrameToLatentToResult() throws {
        let file = try LadonModelFile(path: Fixtures.path("model/tiny.safetensors"))
        let frame = try FrameMessage(
            serialized: FrameMessage(header: Self.header, jpeg: try FileIO.read(Fixtures.path("model/tiny-input.jpg"))).serialized())
        #expect(frame.header == Self.header)
        let latent = try LatentMessage(serialized: try MobileEncoder(file).encode(jpeg: frame.jpeg, header: frame.header).message.serialized())
        #expect(latent.header == Self.header)
        let result = try ResultMessage(serialized: try EdgeInference(file).infer(latent).serialized())
        #expect(result.header == Self.header)
        let json = try #require(try JSONSerialization.jsonObject(with: result.jsonData()) as? [String: Any])
        let frameJSON = try #require(json["frame"] as? [String: Any])
        #expect(frameJSON["node"] as? String == "cam-07" && frameJSON["sequence"] as? Int == 314)
        #expect(frameJSON["captured"] as? Int == 1_790_000_000_271_828 && frameJSON["source"] as? String == "val-00003.jpg")
        #expect(json["dropped"] as? Int == 5)
    }

    @Test func resultJSONNamesTheSourceInItsFrameOnlyWhenThereIsOne() throws {
        func frame(_ result: ResultMessage) throws -> [String: Any] {
            let document = try #require(try JSONSerialization.jsonObject(with: result.jsonData()) as? [String: Any])
            return try #require(document["frame"] as? [String: Any])
        }
        var result = ResultMessageTests.full
        #expect(try frame(result)["source"] == nil)
        result.header.source = "val-00003.jpg"
        #expect(try frame(result)["source"] as? String == "val-00003.jpg")
    }

    @Test func aResultDocumentReadsBackIntoTheResultItWasWrittenFrom() throws {
        let result = ResultMessageTests.full
        let map = try #require(result.tasks.segmentation)
        #expect(try ResultMessage(json: result.jsonData(), labels: (map.labels, map.size)) == result)
    }
}
