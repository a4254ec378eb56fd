import Foundation

/// A file the command line named could not be read or written; one line naming the file and why.
public struct FileError: Error, CustomStringConvertible {
    public let path: String
    public let action: String
    public let reason: String

    public var description: String { "cannot \(action) \(path): \(reason)" }
}

/// Whole-file reads and atomic writes for the command-line stages.
public enum FileIO {
    /// Refuses files larger than `limit` bytes so a wrong path (a video, a device) fails fast.
    public static func read(_ path: String, what: String = "file", limit: Int = 1 << 30) throws(FileError) -> [UInt8] {
        let url = URL(fileURLWithPath: path)
        do {
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
            guard size <= limit else { throw FileError(path: path, action: "read \(what)", reason: "\(size) bytes is over the \(limit)-byte limit") }
            return [UInt8](try Data(contentsOf: url))
        } catch let error as FileError {
            throw error
        } catch {
            throw FileError(path: path, action: "read \(what)", reason: reason(error))
        }
    }

    public static func write(_ bytes: some DataProtocol, to path: String, what: String = "file") throws(FileError) {
        do {
            // Atomic (a temporary file renamed over the path) for files, so a reader never sees half of one;
            // a device or pipe (/dev/null, /dev/stdout, a FIFO) is written in place: a rename would replace it.
            let options: Data.WritingOptions = isSpecialFile(path) ? [] : .atomic
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: options)
        } catch {
            throw FileError(path: path, action: "write \(what)", reason: reason(error))
        }
    }

    /// Whether `path` exists and is not a regular file or directory (a character device, FIFO or socket).
    static func isSpecialFile(_ path: String) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0 else { return false }
        let type = status.st_mode & S_IFMT
        return type != S_IFREG && type != S_IFDIR
    }

    private static func reason(_ error: Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let code = underlying?.code, underlying?.domain == NSPOSIXErrorDomain, let text = strerror(Int32(code)) {
            return String(cString: text)
        }
        return (error as NSError).localizedDescription
    }
}
