public import Foundation
public import Logging
import Synchronization
public import VigilCore

/// Every configured remote. Landed collections and recording-rule outputs come in through
/// `append` (on the caller's thread: a collector's or the rule runtime's), each remote queues
/// and sends them on its own thread. A reload keeps the remotes whose configuration (and the
/// external labels) did not change, with their queues, and replaces the others.
public final class RemoteStorage: Sendable {
    private let writers = Mutex<[RemoteWriter]>([])
    private let highestAppended = Mutex<Double>(0)
    private let logger: Logger
    private let userAgent: String

    /// Seconds a replaced or stopping remote may spend sending what it holds.
    public static let flushTimeout = 5.0

    public init(userAgent: String, logger: Logger) {
        self.userAgent = userAgent
        self.logger = logger
    }

    public var isEmpty: Bool { writers.withLock { $0.isEmpty } }

    /// Takes `configs`: unchanged remotes stay as they are, new ones start. Returns the remotes
    /// that left, for the caller to `stop` off its own thread (stopping blocks while they flush).
    public func apply(_ configs: [RemoteWriteConfig], externalLabels: [String: String]) -> [RemoteWriter] {
        writers.withLock { current in
            var kept: [RemoteWriter] = []
            var next: [RemoteWriter] = []
            for c in configs {
                if let old = current.first(where: { $0.config.name == c.name && $0.config.sameAs(c) && $0.externalLabels == externalLabels }) {
                    kept.append(old)
                    next.append(old)
                } else {
                    let w = RemoteWriter(config: c, externalLabels: externalLabels, userAgent: userAgent, logger: logger)
                    w.start()
                    next.append(w)
                }
            }
            let gone = current.filter { old in !kept.contains { $0 === old } }
            current = next
            return gone
        }
    }

    /// Queues `families` on every remote, stamped with their collection time.
    public func append(_ families: [MetricFamily], at date: Date) {
        let list = writers.withLock { $0 }
        guard !list.isEmpty, !families.isEmpty else { return }
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded())
        // Under one lock with `metricFamilies`, so every remote's counters are read at the
        // same point of the stream (remotes with the same filters show the same samples_in).
        highestAppended.withLock { highest in
            highest = max(highest, Double(ms) / 1000)
            for w in list { w.append(families, timestamp: ms) }
        }
    }

    /// Stops every remote (flushing for up to `flushTimeout`); blocks.
    public func stop() {
        let all = writers.withLock { list in
            defer { list = [] }
            return list
        }
        Self.stop(all, logger: logger)
    }

    /// Stops `writers` at once, each flushing for up to `flushTimeout`; blocks until all ended
    /// (or `flushTimeout` plus a second passed).
    public static func stop(_ writers: [RemoteWriter], logger: Logger) {
        let before = writers.map(\.currentStats)
        for w in writers { w.requestStop(flushTimeout: flushTimeout) }
        let limit = Date().addingTimeInterval(flushTimeout + 1)
        for (w, before) in zip(writers, before) {
            if !w.waitStopped(until: limit) {
                logger.warning("remote_write queue did not stop in time", metadata: ["remote": "\(w.config.name)"])
            }
            let after = w.currentStats
            logger.info("remote_write queue stopped", metadata: [
                "remote": "\(w.config.name)", "unsent_samples": "\(after.dropped - before.dropped)"])
        }
    }

    /// The self-metrics of every remote.
    public func metricFamilies() -> [MetricFamily] {
        let list = writers.withLock { $0 }
        return highestAppended.withLock { highest in
            let remotes = list.map { (name: $0.config.name, url: $0.config.redactedURL, queue: $0.config.queue, stats: $0.currentStats) }
            return RemoteWriteStats.families(remotes, highestAppended: highest)
        }
    }
}

/// The remotes' self-metrics as a scheduled target (`vigil_collector_*{collector="remote_write"}`).
public struct RemoteStorageCollector: Collector {
    public let kind = "remote_write"
    public let upMetric: String? = nil
    let storage: RemoteStorage

    public init(storage: RemoteStorage) { self.storage = storage }

    public func collect(_ context: CollectContext) throws -> [MetricFamily] { storage.metricFamilies() }
}
