public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The durable outbox: one JSON file per notification in `<state>/outbox/`, written to a
/// temporary file, fsynced, renamed into place and the directory fsynced — before the first
/// attempt. Removed (and the directory fsynced) after delivery or give-up.
///
/// Beside the entries it keeps, durably, when each receiver last had a notification delivered
/// (`<state>/last-delivery.json`, receiver → milliseconds), so the status page's "last delivery"
/// survives a restart.
public final class Outbox: Sendable {
    public let directory: String
    private let index: Mutex<[String: OutboxEntry]>
    /// The record of last deliveries: its path, and what it holds (written under this lock).
    private let deliveriesPath: String
    private let deliveries: Mutex<[String: Date]>

    /// Creates the directory when missing and loads what a previous run left (files that do
    /// not decode are renamed `*.corrupt` and reported in `corrupt`).
    public init(stateDirectory: String) throws(StateFileError) {
        directory = (stateDirectory as NSString).appendingPathComponent("outbox")
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw StateFileError(path: directory, message: "cannot create the outbox directory")
        }
        var loaded: [String: OutboxEntry] = [:]
        var corrupt: [String] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        for name in names.sorted() {
            let path = (directory as NSString).appendingPathComponent(name)
            if name.hasSuffix(".tmp") {
                // A write that never completed: its notification was never attempted.
                unlink(path)
                continue
            }
            guard name.hasSuffix(".json") else { continue }
            if let data = FileManager.default.contents(atPath: path), let e = try? decoder.decode(OutboxEntry.self, from: data) {
                loaded[e.id] = e
            } else {
                rename(path, path + ".corrupt")
                corrupt.append(name)
            }
        }
        deliveriesPath = (stateDirectory as NSString).appendingPathComponent("last-delivery.json")
        var recorded: [String: Date] = [:]
        if let data = FileManager.default.contents(atPath: deliveriesPath) {
            if let ms = try? JSONDecoder().decode([String: Int64].self, from: data) {
                recorded = ms.mapValues { Date(timeIntervalSince1970: Double($0) / 1000) }
            } else {
                // Unreadable: set aside (reported like an outbox entry), the record starts afresh.
                rename(deliveriesPath, deliveriesPath + ".corrupt")
                corrupt.append("last-delivery.json")
            }
        }
        deliveries = Mutex(recorded)
        self.corrupt = corrupt
        index = Mutex(loaded)
    }

    /// Receiver → when a notification to it was last delivered, by this process or one before it.
    public var lastDeliveries: [String: Date] { deliveries.withLock { $0 } }

    /// Records a delivery to `receiver` at `date` durably (a later record never goes back in time).
    public func recordDelivery(receiver: String, at date: Date) throws(StateFileError) {
        let path = deliveriesPath
        let outcome: Result<Void, StateFileError> = deliveries.withLock { recorded in
            guard (recorded[receiver] ?? .distantPast) < date else { return .success(()) }
            var next = recorded
            next[receiver] = date
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            do throws(StateFileError) {
                guard let data = try? encoder.encode(next.mapValues { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }) else {
                    throw StateFileError(path: path, message: "cannot encode the delivery record")
                }
                try DurableFile.write(data, to: path)
            } catch {
                return .failure(error)
            }
            recorded = next
            return .success(())
        }
        try outcome.get()
    }

    /// Files found unreadable at start (renamed aside).
    public let corrupt: [String]

    /// Every pending entry, oldest first.
    public var entries: [OutboxEntry] {
        index.withLock { Array($0.values) }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public var count: Int { index.withLock { $0.count } }

    public var oldestCreatedAt: Date? { index.withLock { $0.values.map(\.createdAt).min() } }

    /// Writes (or replaces) an entry durably.
    public func put(_ entry: OutboxEntry) throws(StateFileError) {
        try DurableFile.write(try Self.encode(entry, directory: directory), to: path(of: entry.id))
        index.withLock { $0[entry.id] = entry }
    }

    private static func encode(_ entry: OutboxEntry, directory: String) throws(StateFileError) -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        do { return try encoder.encode(entry) } catch { throw StateFileError(path: directory, message: "cannot encode entry") }
    }

    /// Writes an updated entry durably only while it is still in the outbox (a delivery that
    /// failed must not bring back an entry superseded meanwhile). True when written.
    public func update(_ entry: OutboxEntry) throws(StateFileError) -> Bool {
        let data = try Self.encode(entry, directory: directory)
        let path = path(of: entry.id)
        let outcome: Result<Bool, StateFileError> = index.withLock { entries in
            guard entries[entry.id] != nil else { return .success(false) }
            do throws(StateFileError) {
                try DurableFile.write(data, to: path)
            } catch {
                return .failure(error)
            }
            entries[entry.id] = entry
            return .success(true)
        }
        return try outcome.get()
    }

    /// Removes an entry durably; removing an unknown id is not an error.
    public func remove(id: String) throws(StateFileError) {
        let path = path(of: id)
        let outcome: Result<Void, StateFileError> = index.withLock { entries in
            entries.removeValue(forKey: id)
            do throws(StateFileError) {
                try DurableFile.remove(path)
            } catch {
                return .failure(error)
            }
            return .success(())
        }
        try outcome.get()
    }

    /// Pending entries older than `entry` for the same integration and group: the newer
    /// notification carries the group's whole current state, so these must not be sent after it.
    public func superseded(by entry: OutboxEntry) -> [OutboxEntry] {
        index.withLock { entries in
            entries.values.filter {
                $0.id != entry.id && $0.integration == entry.integration && $0.groupKey == entry.groupKey
                    && ($0.createdAt, $0.id) < (entry.createdAt, entry.id)
            }
        }
    }

    public func entry(id: String) -> OutboxEntry? { index.withLock { $0[id] } }

    private func path(of id: String) -> String { (directory as NSString).appendingPathComponent("\(id).json") }

}
