import Foundation
import Shared
import Testing

@Suite struct SafeTensorsTests {
    @Test func truncatedFileIsReportedWithItsSize() throws {
        let path = NSTemporaryDirectory() + "truncated-\(UUID().uuidString).safetensors"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: WeightsError.truncated(path: path, needed: 8, size: 3)) { try SafeTensorsFile(path: path) }
    }
}
