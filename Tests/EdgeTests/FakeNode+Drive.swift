import Foundation
import Shared
import TestSupport
import Testing

extension FakeNode {
    /// Sends `total` copies of `latent` from `nodes` as their credit allows (every node always has a frame
    /// ready, so the workers are the bottleneck), then expects every credit back. `during` sees the
    /// Results returned so far after each sweep.
    static func drive(
        _ nodes: [FakeNode], sending latent: LatentMessage, total: Int, edge: EdgeHarness, pumpMilliseconds: Int = 10,
        during: (Int) throws -> Void = { _ in }
    ) throws {
        var sequence: UInt64 = 0
        let deadline = Date().addingTimeInterval(90)
        while nodes.map(\.sent).reduce(0, +) < total && Date() < deadline {
            for node in nodes {
                while node.credits > 0 && nodes.map(\.sent).reduce(0, +) < total {
                    sequence += 1
                    try node.send(latent, sequence: sequence)
                }
                try node.pump(milliseconds: pumpMilliseconds)
            }
            try during(nodes.map(\.returned).reduce(0, +))
        }
        for node in nodes { #expect(try node.drain(), "\(node.id) not drained\n\(edge.logs)") }
    }
}
