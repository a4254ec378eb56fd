import Foundation
import LadonIngest
import Shared
import TestSupport
import Testing

/// `ladon-ingest --source /dev/videoN`: no camera exists where the tests run, so these check what the
/// source names as a camera and that a missing or wrong device ends ingest with one line naming it.
@Suite struct CameraSourceTests {
    @Test(
        arguments: [
            ("v4l2:/dev/video0", "/dev/video0"), ("/dev/video2", "/dev/video2"), ("/dev/null", "/dev/null"),
            ("-", nil), ("samples/frames", nil), ("frames/*.jpg", nil),
        ] as [(String, String?)])
    func aSourceNamesACameraByPrefixOrAsACharacterDevice(source: String, device: String?) {
        #expect(CameraSource.devicePath(for: source) == device)
    }

    @Test(arguments: [
        ("/dev/video-ladon-absent", "camera /dev/video-ladon-absent: cannot open: No such file or directory"),
        ("/dev/null", "camera /dev/null: not a V4L2 device (VIDIOC_QUERYCAP: Inappropriate ioctl for device)"),
        ("v4l2:\(Fixtures.path("stream/strip-24x480.jpg"))", "not a V4L2 device (not a character device)"),
    ])
    func aMissingOrWrongDeviceEndsIngestWithOneLineNamingIt(source: String, expected: String) throws {
        let folder = try Executables.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let outcome = try Executables.run("ladon-ingest", ["--source", source, "--connect", "ipc://\(folder.path)/ingest"])
        #expect(outcome.status == 1)
        let lines = outcome.standardError.split(separator: "\n")
        #expect(lines.count == 1, "\(outcome.standardError)")
        #expect(lines.first?.hasPrefix("ladon-ingest: error: camera ") == true, "\(outcome.standardError)")
        #expect(outcome.standardError.contains(expected), "\(outcome.standardError)")
        #expect(outcome.standardOutput.isEmpty)
    }
}
