import Foundation
public import Logging
import Synchronization
public import VigilCore

/// One backup entry: a file or an S3 object.
struct BackupEntry: Sendable, Hashable {
    var name: String
    var size: Double
    /// Unix seconds of the last modification.
    var modified: Double
}

/// Lists a backup location each cycle and reports its newest entry, the one before it, the
/// count and the total size; with `verify: gzip`, whether the newest file reads to its end
/// (checked once per file version: the result is kept while its size and time stay the same).
/// A listing that fails reads `backup_up 0`.
public final class BackupCollector: Collector {
    public let kind = "backup"
    public let upMetric: String? = "backup_up"
    public let options: BackupOptions
    let logger: Logger
    private let verified = Mutex<(entry: BackupEntry, ok: Bool)?>(nil)

    public init(options: BackupOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    public func collect(_ context: CollectContext) throws -> [MetricFamily] {
        let entries: [BackupEntry]
        switch options.source {
        case .path(let pattern):
            entries = try FileBackupLister.list(pattern, maxFiles: options.maxFiles)
        case .s3(let location):
            do {
                entries = try S3Lister(location: location).list(maxObjects: options.maxFiles, deadline: context.deadline)
            } catch {
                throw CollectorError("S3 listing of \(location.bucket) failed: \(error.message)")
            }
        }
        let sorted = entries.sorted { ($0.modified, $0.name) > ($1.modified, $1.name) }
        var b = FamilyBuilder(namespace: "backup")
        b.gauge("files", Double(sorted.count), help: "Backup files (or objects) found.")
        b.gauge("total_size_bytes", sorted.reduce(0) { $0 + $1.size }, help: "Total size of the backup files.")
        if let newest = sorted.first {
            let now = context.startedAt.timeIntervalSince1970
            b.gauge("newest_timestamp_seconds", newest.modified, help: "Modification time of the newest backup file (Unix seconds).")
            b.gauge("newest_age_seconds", max(0, now - newest.modified), help: "Seconds since the newest backup file was modified.")
            b.gauge("newest_size_bytes", newest.size, help: "Size of the newest backup file.")
            if sorted.count > 1 {
                b.gauge("previous_timestamp_seconds", sorted[1].modified, help: "Modification time of the backup file before the newest one.")
                b.gauge("previous_size_bytes", sorted[1].size, help: "Size of the backup file before the newest one.")
            }
            if options.verify == .gzip {
                b.gauge("newest_verified", verify(newest, deadline: context.deadline) ? 1 : 0,
                        help: "Whether the newest backup file reads to its end as gzip (1) or not (0).")
            }
        }
        return b.families
    }

    private func verify(_ entry: BackupEntry, deadline: ContinuousClock.Instant) -> Bool {
        if let known = verified.withLock({ $0 }), known.entry == entry { return known.ok }
        let result = Gzip.verify(path: entry.name, maxCompressedBytes: options.verifyMaxBytes, deadline: deadline)
        switch result {
        case .valid:
            verified.withLock { $0 = (entry, true) }
            return true
        case .corrupt(let reason):
            logger.warning("newest backup is not a valid gzip file", metadata: ["file": "\(entry.name)", "reason": "\(reason)"])
            verified.withLock { $0 = (entry, false) }
            return false
        case .unreadable(let reason), .budgetExceeded(let reason):
            // Not remembered: the next cycle tries again.
            logger.warning("newest backup could not be verified", metadata: ["file": "\(entry.name)", "reason": "\(reason)"])
            return false
        }
    }
}
