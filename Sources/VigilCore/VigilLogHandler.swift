public import Foundation
public import Logging
import Synchronization

/// Log output: human text lines or JSON lines, on standard error.
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

/// A swift-log handler writing one line per event. Messages and metadata are written as
/// given: callers pass secrets only through `Redaction`.
public struct VigilLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level
    private let label: String
    private let format: LogFormat
    private let sink: LogSink

    public init(label: String, format: LogFormat, level: Logger.Level, sink: LogSink = .standardError) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let line = Self.line(format: format, time: Date(), level: event.level, label: label,
                             message: "\(event.message)", metadata: merged)
        sink.write(line)
    }

    /// One formatted line, newline included. Pure.
    public static func line(format: LogFormat, time: Date, level: Logger.Level, label: String,
                            message: String, metadata: Logger.Metadata) -> String {
        let ts = timestamp(time)
        switch format {
        case .text:
            var s = "\(ts) \(level.rawValue.uppercased()) [\(label)] \(message)"
            for key in metadata.keys.sorted() {
                let v = "\(metadata[key].map { "\($0)" } ?? "")"
                s += " \(key)=" + (v.contains(" ") || v.isEmpty ? jsonString(v) : v)
            }
            return s + "\n"
        case .json:
            var s = "{\"time\":\(jsonString(ts)),\"level\":\(jsonString(level.rawValue)),\"logger\":\(jsonString(label)),\"msg\":\(jsonString(message))"
            for key in metadata.keys.sorted() where !["time", "level", "logger", "msg"].contains(key) {
                s += ",\(jsonString(key)):\(jsonString("\(metadata[key].map { "\($0)" } ?? "")"))"
            }
            return s + "}\n"
        }
    }

    static func timestamp(_ date: Date) -> String {
        var f = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        f.timeZone = .gmt
        return date.formatted(f)
    }

    /// A JSON string literal with the escapes RFC 8259 requires.
    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}

/// Where log lines go; serialised so lines never interleave.
public final class LogSink: Sendable {
    private let lock = Mutex(())
    private let handle: FileHandle

    public init(handle: FileHandle) { self.handle = handle }
    public static let standardError = LogSink(handle: .standardError)

    func write(_ line: String) {
        lock.withLock { _ in handle.write(Data(line.utf8)) }
    }
}
