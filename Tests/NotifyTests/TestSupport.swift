import Foundation
import Logging
import Synchronization
@testable import Notify

/// Collects log lines (message + metadata) so tests can check what reached the log.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    var logger: Logger {
        var l = Logger(label: "test") { _ in CapturingHandler(capture: self) }
        l.logLevel = .trace
        return l
    }

    func append(_ s: String) { lines.withLock { $0.append(s) } }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let meta = (event.metadata ?? [:]).merging(metadata) { a, _ in a }
            capture.append("\(event.level) \(event.message) \(meta.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        }
    }
}

enum TestState {
    /// A fresh state directory under the temporary directory.
    static func directory() -> String {
        let path = NSTemporaryDirectory() + "vigil-notify-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

extension NotifyConfig {
    /// Parses a test config, failing the test on error.
    static func test(_ yaml: String) throws -> NotifyConfig {
        try NotifyConfig.parse(yaml: yaml, file: "test.yml", environment: [:])
    }
}

/// A settable clock for pure time-driven code.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Date
    init(_ d: Date) { value = d }
    var now: Date {
        get { lock.lock(); defer { lock.unlock() }; return value }
        set { lock.lock(); value = newValue; lock.unlock() }
    }
}

