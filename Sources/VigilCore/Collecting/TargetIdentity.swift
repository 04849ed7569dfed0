import Foundation

/// What a target is after defaults: its kind and name, schedule, the labels put on its series,
/// every option its collector is built from (secrets included) and the contents of the files it
/// reads on its own (a password file read at reconnect, a Redis TLS CA, a custom queries file).
/// Two targets with equal identities collect the same way, so a reload keeps the running one
/// (same thread, connection, schedule phase, counters and last status) instead of building a
/// new one. Holds secrets: its `description` is the key only.
public struct TargetIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The collector's kind (`postgres`, `redis`, `scrape`, `probe`, `backup`, `process`, …).
    public var kind: String
    public var name: String
    public var interval: Double
    public var timeout: Double
    public var labels: [Label]
    public var settings: TargetSettings
    public var files: [FileFingerprint]

    public init(kind: String, name: String, interval: Double, timeout: Double, labels: [Label] = [],
                settings: TargetSettings = .none, files: [FileFingerprint] = []) {
        self.kind = kind
        self.name = name
        self.interval = interval
        self.timeout = timeout
        self.labels = labels
        self.settings = settings
        self.files = files
    }

    /// `kind/name`, the scheduler's source key: unique among a configuration's targets.
    public var key: String { "\(kind)/\(name)" }

    public var description: String { key }
}

/// A kind's options as one comparable value (any `Hashable` type; two values of different
/// types are different). Never printed.
public struct TargetSettings: Sendable, Hashable, CustomStringConvertible {
    private let value: AnyHashableSendable

    public init(_ value: some Hashable & Sendable) {
        self.value = AnyHashableSendable(value)
    }

    /// No options beyond the schedule (Vigil's own targets).
    public static let none = TargetSettings(NoOptions())
    private struct NoOptions: Hashable, Sendable {}

    public var description: String { "TargetSettings(…)" }
}

/// `AnyHashable` for a value known to be `Sendable`.
struct AnyHashableSendable: @unchecked Sendable, Hashable {
    // Only ever built from a `Sendable` value (the initializer's constraint), never mutated.
    private let base: AnyHashable
    init(_ value: some Hashable & Sendable) { base = AnyHashable(value) }
}

/// A file a collector reads by itself, as it was when the configuration was loaded: its bytes
/// (up to `limit`), or its size and modification time when larger, or why it could not be read.
/// Compared, never printed: the bytes may be a password or a private key.
public struct FileFingerprint: Sendable, Hashable, CustomStringConvertible {
    public enum Content: Sendable, Hashable {
        case bytes([UInt8])
        /// A file larger than `limit`.
        case large(size: UInt64, modified: Double)
        /// Missing, not a regular file, or unreadable.
        case unreadable
    }

    public var path: String
    public var content: Content

    public init(path: String, content: Content) {
        self.path = path
        self.content = content
    }

    /// Files up to this size are compared byte for byte.
    public static let limit = 1 << 20

    /// Reads `path` without following it into anything but a regular file (a FIFO or device
    /// named by mistake never blocks or streams), at most `limit` bytes.
    public static func read(_ path: String) -> FileFingerprint {
        let fm = FileManager.default
        guard let attributes = try? fm.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular else {
            return FileFingerprint(path: path, content: .unreadable)
        }
        let size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        if size > UInt64(limit) {
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return FileFingerprint(path: path, content: .large(size: size, modified: modified))
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { return FileFingerprint(path: path, content: .unreadable) }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: limit + 1) else { return FileFingerprint(path: path, content: .bytes([])) }
        return FileFingerprint(path: path, content: .bytes([UInt8](data)))
    }

    public var description: String { "FileFingerprint(\(path))" }
}

/// What a reload does to the running targets: the ones whose identity is unchanged keep
/// running, changed ones are restarted, removed ones stopped, new ones started. Pure.
public struct TargetPlan: Sendable, Equatable {
    /// Keys (`kind/name`) in the new configuration's order.
    public var kept: [String] = []
    public var restarted: [String] = []
    public var added: [String] = []
    /// Keys in the running order.
    public var removed: [String] = []

    public init(kept: [String] = [], restarted: [String] = [], added: [String] = [], removed: [String] = []) {
        self.kept = kept
        self.restarted = restarted
        self.added = added
        self.removed = removed
    }

    /// The plan from `running` to `wanted`. A key listed twice counts once (its first identity).
    public static func make(running: [TargetIdentity], wanted: [TargetIdentity]) -> TargetPlan {
        var old: [String: TargetIdentity] = [:]
        for id in running where old[id.key] == nil { old[id.key] = id }
        var plan = TargetPlan()
        var seen: Set<String> = []
        for id in wanted where seen.insert(id.key).inserted {
            switch old[id.key] {
            case nil: plan.added.append(id.key)
            case let running? where running == id: plan.kept.append(id.key)
            case .some: plan.restarted.append(id.key)
            }
        }
        var gone: Set<String> = []
        for id in running where !seen.contains(id.key) && gone.insert(id.key).inserted {
            plan.removed.append(id.key)
        }
        return plan
    }

    /// Whether the key's running target is replaced or stopped.
    public func stops(_ key: String) -> Bool { restarted.contains(key) || removed.contains(key) }
}
