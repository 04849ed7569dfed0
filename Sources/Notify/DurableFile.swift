import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Crash-safe whole-file writes: temporary file, write, fsync, rename, fsync of the directory.
enum DurableFile {
    static func write(_ data: Data, to path: String, mode: mode_t = 0o600) throws(StateFileError) {
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw StateFileError(path: temp, message: "open failed: \(errorText())") }
        var ok = data.withUnsafeBytes { raw -> Bool in
            guard let base = raw.baseAddress else { return true }
            var offset = 0
            while offset < raw.count {
                let n = posixWrite(fd, base + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok else {
            let text = errorText()
            unlink(temp)
            throw StateFileError(path: temp, message: "write failed: \(text)")
        }
        guard rename(temp, path) == 0 else {
            let text = errorText()
            unlink(temp)
            throw StateFileError(path: path, message: "rename failed: \(text)")
        }
        try syncDirectory(of: path)
    }

    static func remove(_ path: String) throws(StateFileError) {
        if unlink(path) != 0, errno != ENOENT { throw StateFileError(path: path, message: "unlink failed: \(errorText())") }
        try syncDirectory(of: path)
    }

    static func syncDirectory(of path: String) throws(StateFileError) {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StateFileError(path: directory, message: "open failed: \(errorText())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw StateFileError(path: directory, message: "fsync failed: \(errorText())") }
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}

#if canImport(Glibc)
private func posixWrite(_ fd: Int32, _ buf: UnsafeRawPointer, _ n: Int) -> Int { Glibc.write(fd, buf, n) }
#elseif canImport(Darwin)
private func posixWrite(_ fd: Int32, _ buf: UnsafeRawPointer, _ n: Int) -> Int { Darwin.write(fd, buf, n) }
#endif
