// The only file that talks to the V4L2 capture shim (Sources/CVideoCapture).
internal import CVideoCapture
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Motion-JPEG frames from a V4L2 camera (Linux): `ladon-ingest --source /dev/videoN` (or
/// `v4l2:/dev/videoN`). The camera must offer MJPEG; the driver may pick the size nearest the one asked
/// for. Frames come at the camera's pace into a few driver buffers; `next` returns the newest frame
/// ready and gives the older ones back unsent, counting them (`stale_skipped`), so a paced or slow
/// ingest always sends the freshest frame. MJPEG frames without Huffman tables (common with USB
/// cameras) decode as they are: libjpeg-turbo supplies the standard tables.
public struct CameraSource: FrameSource {
    public let device: String
    /// The frame size the driver chose.
    public let width: Int
    public let height: Int
    private let camera: CameraHandle
    private var delivered = 0
    private var staleSkipped = 0
    private var emptySkipped = 0

    public init(device: String, width: Int = 640, height: Int = 480, buffers: Int = 4) throws(IngestError) {
        self.device = device
        var raw: OpaquePointer?
        var chosenWidth: UInt32 = 0
        var chosenHeight: UInt32 = 0
        var message = [CChar](repeating: 0, count: Int(LADON_CAMERA_MESSAGE_LENGTH))
        let status = message.withUnsafeMutableBufferPointer { text in
            ladon_camera_open(
                device, UInt32(clamping: width), UInt32(clamping: height), UInt32(clamping: buffers),
                &raw, &chosenWidth, &chosenHeight, text.baseAddress)
        }
        guard status == LADON_CAMERA_OK, let raw else { throw .camera(device: device, reason: Self.text(message)) }
        camera = CameraHandle(raw)
        self.width = Int(chosenWidth)
        self.height = Int(chosenHeight)
    }

    public var isOnDemand: Bool { false }

    /// Camera frames have no names: `source` stays empty.
    public mutating func next(shouldStop: () -> Bool) throws -> SourcedFrame? {
        while !shouldStop() {
            guard var newest = try dequeue(timeoutMilliseconds: 50) else { continue }
            // Older buffers that filled while ingest was busy: keep only the newest.
            while let newer = try dequeue(timeoutMilliseconds: 0) {
                if !newest.isEmpty { staleSkipped += 1 }
                newest = newer
            }
            guard !newest.isEmpty else {
                emptySkipped += 1
                continue
            }
            delivered += 1
            return SourcedFrame(jpeg: newest)
        }
        return nil
    }

    public var report: String {
        "device=\(device) size=\(width)x\(height) frames=\(delivered) stale_skipped=\(staleSkipped) empty_skipped=\(emptySkipped)"
    }

    /// One frame's bytes copied out of the driver's buffer, which goes straight back to the driver.
    private func dequeue(timeoutMilliseconds: Int32) throws(IngestError) -> [UInt8]? {
        var frame = ladon_camera_frame()
        var message = [CChar](repeating: 0, count: Int(LADON_CAMERA_MESSAGE_LENGTH))
        let status = message.withUnsafeMutableBufferPointer { text in
            ladon_camera_dequeue(camera.raw, timeoutMilliseconds, &frame, text.baseAddress)
        }
        if status == LADON_CAMERA_TIMEOUT { return nil }
        guard status == LADON_CAMERA_OK else { throw .camera(device: device, reason: Self.text(message)) }
        let bytes = frame.size > 0 && frame.data != nil ? Array(UnsafeBufferPointer(start: frame.data, count: frame.size)) : []
        let requeued = message.withUnsafeMutableBufferPointer { text in
            ladon_camera_requeue(camera.raw, frame.index, text.baseAddress)
        }
        guard requeued == LADON_CAMERA_OK else { throw .camera(device: device, reason: Self.text(message)) }
        return bytes
    }

    /// The device a `--source` value names, or `nil` when it names no camera: `v4l2:PATH`, a path under
    /// /dev/, or any character device.
    public static func devicePath(for source: String) -> String? {
        if source.hasPrefix("v4l2:") { return String(source.dropFirst(5)) }
        if source.hasPrefix("/dev/") { return source }
        var info = stat()
        return stat(source, &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR ? source : nil
    }

    private static func text(_ message: [CChar]) -> String {
        String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Owns the shim's camera handle; closing it stops streaming and unmaps the buffers. A class so the
/// `FrameSource` value can be copied while the device is closed exactly once.
private final class CameraHandle {
    let raw: OpaquePointer

    init(_ raw: OpaquePointer) { self.raw = raw }

    deinit { ladon_camera_close(raw) }
}
