import Foundation
import Shared
import TestSupport
import Testing

/// The live viewer in a real browser: headless Chromium (Debian's `chromium`, which ./dev installs)
/// opens the sink's page while the pipeline (ladon-ingest -> ladon-encoder -> ladon-edge serve ->
/// ladon-sink serve --http, the shipped default model on the held-out frames) runs. The screenshot
/// must hold the node's newest annotated frame exactly as the sink serves it (which differs from the
/// source frame where the mask, boxes and banner are drawn) and both charts in their colours; the
/// page's DOM must show the node's last frame number and totals.
@Suite(.serialized) struct ViewerBrowserTests {
    static let chromium = "/usr/bin/chromium"
    static let root = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
    static let frames = root.appendingPathComponent("samples/eval/images").path
    static let model = root.appendingPathComponent("models/default-beta0.32.safetensors").path

    @Test func chromiumShowsTheAnnotatedFrameAndTheChartsWhileThePipelineRuns() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.chromium) else {
            Issue.record("\(Self.chromium) is missing: install Debian's chromium package (./dev test installs it)")
            return
        }
        let edge = try EdgeHarness()
        defer { edge.stop() }
        let port = try freePort()
        let ingestEndpoint = "ipc://\(edge.folder.path)/ingest"
        _ = try edge.start(
            "ladon-sink", ["serve", "--results", edge.results, "--publish", edge.publish, "--http", "127.0.0.1:\(port)", "--frames", Self.frames])
        _ = try edge.start(
            "ladon-edge", ["serve", "--model", Self.model, "--frontend", edge.frontend, "--sink", edge.results, "--workers", "1"])
        let encoder = try edge.start(
            "ladon-encoder",
            ["run", "--model", Self.model, "--ingest", ingestEndpoint, "--edge", edge.frontend, "--node-id", "cam-01", "--window", "2"])
        let ingest = try edge.start(
            "ladon-ingest", ["--source", Self.frames, "--loop", "--fps", "4", "--connect", ingestEndpoint, "--node-id", "cam-01"])

        // Live: the browser opens the page while frames still flow.
        let enough = try Self.waitForState(port: port, timeout: 120) { ($0["frames"] as? Int ?? 0) >= 6 }
        #expect(enough != nil, "the sink's viewer never saw 6 Results\n\(edge.logs)")
        let live = try Self.browse(port: port, folder: edge.folder, name: "live")
        #expect(live.dom.contains("cam-01") && live.dom.contains("class=\"node\""), "the page made no card for the node")

        // Then frozen, so the screenshot can be compared with the picture the sink serves: the stream ends and
        // the encoder exits once every latent it sent has its Result.
        ingest.stop()
        #expect(encoder.waitForExit(timeout: 120), "the encoder did not drain\n\(edge.logs)")
        let settled = try Self.settledState(port: port)
        let update = try #require(settled, "the stream did not settle\n\(edge.logs)")
        let shot = try Self.browse(port: port, folder: edge.folder, name: "settled")
        let sequence = try #require(update["sequence"] as? Int)
        #expect(shot.dom.contains("data-sequence=\"\(sequence)\""), "the page does not show frame \(sequence)")
        #expect(shot.dom.contains("1 node, \(update["frames"] as? Int ?? -1) results"), "the totals are not the sink's")

        let picture = try PNG.decode(try HTTPClient.getBytes(port: port, "/frame/cam-01.png"))
        let source = try JPEG.decode(try FileIO.read(Self.frames + "/" + (update["source"] as? String ?? ""), what: "frame", limit: 1 << 24))
        #expect(picture.size == source.size)
        let annotatedShare = Self.share(of: picture, differingFrom: source)
        #expect(annotatedShare > 0.02, "the served picture is the bare frame (\(annotatedShare) of its pixels differ)")

        let screen = shot.screenshot
        let found = try #require(Self.locate(picture, in: screen), "the annotated frame is not in the screenshot")
        #expect(Self.meanDifference(picture, in: screen, at: found) < 2, "the frame in the screenshot differs from the served one")
        let below = found.y + picture.size.height
        let latency = Self.count(near: (0xFF, 0x7F, 0x0E), in: screen, fromRow: below)
        let bytes = Self.count(near: (0x1F, 0x77, 0xB4), in: screen, fromRow: below)
        #expect(latency >= 100, "latency chart: \(latency) orange pixels below the frame")
        #expect(bytes >= 100, "bytes chart: \(bytes) blue pixels below the frame")
    }

    // MARK: Browser

    struct View {
        let screenshot: PixelImage
        let dom: String
    }

    /// A screenshot and the DOM of the page after Chromium ran it for a few seconds.
    static func browse(port: Int, folder: URL, name: String) throws -> View {
        let png = folder.appendingPathComponent("\(name).png").path
        let common = [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1", "--window-size=1400,1000",
            "--timeout=5000", "--user-data-dir=\(folder.appendingPathComponent("chromium-\(name)").path)",
        ]
        let url = "http://127.0.0.1:\(port)/"
        _ = try ChildProcess("chromium", common + ["--screenshot=\(png)", url], logs: folder, systemPath: chromium).wait(timeout: 90)
        let dom = try ChildProcess("chromium", common + ["--dump-dom", url], logs: folder, systemPath: chromium).wait(timeout: 90)
        let image = try PNG.decode(try FileIO.read(png, what: "screenshot", limit: 1 << 26))
        return View(screenshot: image, dom: dom.output)
    }

    // MARK: The viewer's state

    static func state(port: Int) throws -> [String: Any]? {
        let body = try HTTPClient.get(port: port, "/state.json").body
        let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        return ((object?["nodes"] as? [[String: Any]])?.first?["update"]) as? [String: Any]
    }

    static func waitForState(port: Int, timeout: Double, _ done: ([String: Any]) -> Bool) throws -> [String: Any]? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            // Refused until the sink listens.
            if let update = try? state(port: port), done(update) { return update }
            Thread.sleep(forTimeInterval: 0.5)
        }
        return nil
    }

    /// The node's update once two reads 1.5 s apart agree (the frames in flight have arrived).
    static func settledState(port: Int) throws -> [String: Any]? {
        var previous = try state(port: port)
        for _ in 0..<40 {
            Thread.sleep(forTimeInterval: 1.5)
            let now = try state(port: port)
            if let now, let before = previous, now["sequence"] as? Int == before["sequence"] as? Int,
                now["frames"] as? Int == before["frames"] as? Int
            {
                return now
            }
            previous = now
        }
        return nil
    }

    // MARK: Pixels

    static func rgb(_ image: PixelImage, _ x: Int, _ y: Int) -> (Int, Int, Int) {
        let index = (y * image.size.width + x) * image.channels
        if image.channels < 3 { return (Int(image.pixels[index]), Int(image.pixels[index]), Int(image.pixels[index])) }
        return (Int(image.pixels[index]), Int(image.pixels[index + 1]), Int(image.pixels[index + 2]))
    }

    static func share(of a: PixelImage, differingFrom b: PixelImage) -> Double {
        var differing = 0
        for y in 0..<a.size.height {
            for x in 0..<a.size.width {
                let (p, q) = (rgb(a, x, y), rgb(b, x, y))
                if abs(p.0 - q.0) + abs(p.1 - q.1) + abs(p.2 - q.2) > 24 { differing += 1 }
            }
        }
        return Double(differing) / Double(a.size.width * a.size.height)
    }

    /// Where `picture` sits in `screen` at its natural size: the offset whose sparse sample matches best.
    static func locate(_ picture: PixelImage, in screen: PixelImage) -> (x: Int, y: Int)? {
        let (width, height) = (picture.size.width, picture.size.height)
        guard screen.size.width >= width, screen.size.height >= height else { return nil }
        let samples = (0..<96).map { index in ((index * 37) % width, (index * 53) % height) }
        var best: (x: Int, y: Int, error: Int)?
        for y in 0...(screen.size.height - height) {
            for x in 0...(screen.size.width - width) {
                var error = 0
                for (sx, sy) in samples {
                    let (p, q) = (rgb(picture, sx, sy), rgb(screen, x + sx, y + sy))
                    error += abs(p.0 - q.0) + abs(p.1 - q.1) + abs(p.2 - q.2)
                    if let best, error >= best.error { break }
                }
                if best == nil || error < best!.error { best = (x, y, error) }
            }
        }
        return best.flatMap { $0.error < 96 * 6 ? ($0.x, $0.y) : nil }
    }

    static func meanDifference(_ picture: PixelImage, in screen: PixelImage, at offset: (x: Int, y: Int)) -> Double {
        var total = 0
        for y in 0..<picture.size.height {
            for x in 0..<picture.size.width {
                let (p, q) = (rgb(picture, x, y), rgb(screen, offset.x + x, offset.y + y))
                total += abs(p.0 - q.0) + abs(p.1 - q.1) + abs(p.2 - q.2)
            }
        }
        return Double(total) / Double(picture.size.width * picture.size.height * 3)
    }

    static func count(near colour: (Int, Int, Int), in image: PixelImage, fromRow first: Int) -> Int {
        var count = 0
        for y in max(0, first)..<image.size.height {
            for x in 0..<image.size.width {
                let p = rgb(image, x, y)
                if abs(p.0 - colour.0) + abs(p.1 - colour.1) + abs(p.2 - colour.2) <= 24 { count += 1 }
            }
        }
        return count
    }
}
