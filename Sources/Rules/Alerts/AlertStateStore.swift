import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Persists the alert state of every alerting rule (pending/firing alerts, `for` progress via
/// `activeAt`, `keep_firing_for` windows) as JSON in the state directory, atomically: write a
/// temporary file, fsync it, rename it over the old one, fsync the directory.
public struct AlertStateStore: Sendable {
    public let directory: String
    public static let fileName = "alert-state.json"

    public init(directory: String) { self.directory = directory }

    public var path: String { "\(directory)/\(Self.fileName)" }

    public struct StoreError: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    struct Document: Codable {
        var version: Int
        var savedAt: Int64
        var rules: [String: AlertState]
    }

    /// Writes `states` (keyed like `RuleEngine.states`) at time `now` (ms).
    public func save(_ states: [String: AlertState], now: Int64) throws(StoreError) {
        let doc = Document(version: 1, savedAt: now, rules: states.filter { !$0.value.active.isEmpty })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        do { data = try encoder.encode(doc) } catch { throw StoreError(message: "cannot encode alert state: \(error)") }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError(message: "cannot create state directory \(directory): \(error.localizedDescription)")
        }
        let tmp = "\(path).tmp.\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw StoreError(message: "cannot create \(tmp): \(String(cString: strerror(errno)))") }
        var ok = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        let writeErrno = errno
        close(fd)
        guard ok else {
            unlink(tmp)
            throw StoreError(message: "cannot write \(tmp): \(String(cString: strerror(writeErrno)))")
        }
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw StoreError(message: "cannot rename \(tmp) to \(path): \(String(cString: strerror(e)))")
        }
        let dirFD = open(directory, O_RDONLY)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            close(dirFD)
        }
    }

    /// Reads the saved state; an absent file is an empty state.
    public func load() throws(StoreError) -> (states: [String: AlertState], savedAt: Int64?) {
        guard FileManager.default.fileExists(atPath: path) else { return ([:], nil) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError(message: "cannot read \(path)")
        }
        do {
            let doc = try JSONDecoder().decode(Document.self, from: data)
            guard doc.version == 1 else { throw StoreError(message: "\(path): unsupported version \(doc.version)") }
            return (doc.rules, doc.savedAt)
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(message: "\(path): invalid alert state: \(error)")
        }
    }
}
