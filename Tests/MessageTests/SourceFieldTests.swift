import Foundation
import Shared
import Testing

/// The frame's source name (proto field `source` of Frame, Latent and Result) from ingest to the sink.
@Suite struct SourceFieldTests {
    static let name = "val-00003.jpg"

    /// Proto3 leaves an empty string off the wire, so a message with a source is the message without
    /// one plus exactly the field's bytes (tag, length, name): older readers skip it, and older
    /// messages read as "no source".
    static func expectSourceIsOneTrailingField(without: [UInt8], with: [UInt8], fieldNumber: UInt8) {
        let field = [fieldNumber << 3 | 2, UInt8(name.utf8.count)] + Array(name.utf8)
        #expect(with == without + field)
    }

    @Test func aFrameCarriesItsSourceAndAFrameWithoutTheFieldReadsAsNoSource() throws {
        var frame = FrameMessageTests.sample
        frame.source = Self.name
        #expect(try FrameMessage(serialized: frame.serialized()) == frame)
        let old = FrameMessageTests.sample.serialized()
        Self.expectSourceIsOneTrailingField(without: old, with: frame.serialized(), fieldNumber: 6)
        #expect(try FrameMessage(serialized: old).source == "")
    }

    @Test func aLatentCarriesItsSourceAndALatentWithoutTheFieldReadsAsNoSource() throws {
        var latent = LatentMessageTests.sample
        latent.source = Self.name
        #expect(try LatentMessage(serialized: latent.serialized()) == latent)
        let old = LatentMessageTests.sample.serialized()
        Self.expectSourceIsOneTrailingField(without: old, with: latent.serialized(), fieldNumber: 11)
        #expect(try LatentMessage(serialized: old).source == "")
    }

    @Test func aResultCarriesItsSourceAndAResultWithoutTheFieldReadsAsNoSource() throws {
        var result = ResultMessageTests.full
        result.source = Self.name
        #expect(try ResultMessage(serialized: result.serialized()) == result)
        let old = ResultMessageTests.full.serialized()
        Self.expectSourceIsOneTrailingField(without: old, with: result.serialized(), fieldNumber: 13)
        #expect(try ResultMessage(serialized: old).source == "")
    }

    @Test func anErrorResultKeepsTheSourceOfItsLatent() throws {
        var latent = LatentMessageTests.sample
        latent.source = Self.name
        let result = ResultMessage(failed: latent, error: "no edge worker available")
        #expect(try ResultMessage(serialized: result.serialized()).source == Self.name)
    }

    @Test func resultJSONNamesTheSourceInItsFrameOnlyWhenThereIsOne() throws {
        func frame(_ result: ResultMessage) throws -> [String: Any] {
            let document = try #require(try JSONSerialization.jsonObject(with: result.jsonData()) as? [String: Any])
            return try #require(document["frame"] as? [String: Any])
        }
        var result = ResultMessageTests.full
        #expect(try frame(result)["source"] == nil)
        result.source = Self.name
        #expect(try frame(result)["source"] as? String == Self.name)
    }
}
