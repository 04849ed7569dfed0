public import VigilCore

/// The counters of one remote, named as Prometheus names its remote-write self-metrics (no
/// `vigil_` prefix, so the dashboards and alerts written for Prometheus' remote write —
/// `PrometheusRemoteWriteBehind`, `PrometheusRemoteStorageFailures` — read Vigil's too).
public struct RemoteWriteStats: Sendable, Hashable {
    /// Samples handed to this remote (before relabelling). At any instant
    /// `received == samples + dropped + pending`, except that a batch given up at shutdown is
    /// counted in both `samples` and `dropped`.
    public var received = 0
    /// Samples put in a request (each batch counted once, whatever became of it).
    public var samples = 0
    /// Samples in requests the receiver refused for good (4xx other than a retried 429).
    public var failed = 0
    /// Samples in attempts that are retried (5xx, a retried 429, no answer), once per retry.
    public var retried = 0
    /// Samples never sent: relabelling dropped them, the queue was full, or shutdown/reload
    /// came while they waited.
    public var dropped = 0
    /// The part of `dropped` lost because the queue was full.
    public var overflowed = 0
    /// Compressed request bytes the receiver accepted.
    public var bytes = 0
    /// Timestamp (seconds) of the newest sample the receiver accepted.
    public var highestSent = 0.0
    /// Samples waiting in the queue now.
    public var pending = 0

    public init() {}

    /// The families of `stats` per remote, plus the highest timestamp appended to any.
    public static func families(_ remotes: [(name: String, url: String, queue: RemoteWriteConfig.Queue, stats: RemoteWriteStats)],
                                highestAppended: Double) -> [MetricFamily] {
        func labels(_ r: (name: String, url: String, queue: RemoteWriteConfig.Queue, stats: RemoteWriteStats)) -> Labels {
            Labels([Label("remote_name", r.name), Label("url", r.url)])
        }
        func counter(_ name: String, _ help: String, _ value: (RemoteWriteStats) -> Int) -> MetricFamily {
            .counter(name, help, remotes.map { Sample(labels($0), Double(value($0.stats))) })
        }
        func gauge(_ name: String, _ help: String, _ value: (RemoteWriteConfig.Queue, RemoteWriteStats) -> Double) -> MetricFamily {
            .gauge(name, help, remotes.map { Sample(labels($0), value($0.queue, $0.stats)) })
        }
        guard !remotes.isEmpty else { return [] }
        return [
            .gauge("prometheus_remote_storage_highest_timestamp_in_seconds",
                   "Highest timestamp that has come into the remote storage via the Appender interface, in seconds since epoch.",
                   value: highestAppended),
            counter("vigil_remote_storage_samples_in_total",
                    "Samples handed to this remote before relabelling (Prometheus' samples_in_total, per remote).") { $0.received },
            counter("prometheus_remote_storage_samples_total", "Total number of samples sent to remote storage.") { $0.samples },
            counter("prometheus_remote_storage_samples_failed_total",
                    "Total number of samples which failed on send to remote storage, non-recoverable errors.") { $0.failed },
            counter("prometheus_remote_storage_samples_retried_total",
                    "Total number of samples which failed on send to remote storage but were retried because the send error was recoverable.") { $0.retried },
            counter("prometheus_remote_storage_samples_dropped_total",
                    "Total number of samples which were dropped before being sent via remote write (relabelling, a full queue, shutdown).") { $0.dropped },
            counter("vigil_remote_storage_samples_overflowed_total",
                    "Samples dropped because the in-memory queue was full (part of prometheus_remote_storage_samples_dropped_total).") { $0.overflowed },
            counter("prometheus_remote_storage_bytes_total",
                    "The total number of bytes of data (not metadata) sent by the queue after compression.") { $0.bytes },
            gauge("prometheus_remote_storage_samples_pending", "The number of samples pending in the queues shards to be sent to the remote storage.") {
                Double($1.pending)
            },
            gauge("prometheus_remote_storage_queue_highest_sent_timestamp_seconds",
                  "Timestamp from a WAL sample, the highest timestamp successfully sent by this queue, in seconds since epoch.") { $1.highestSent },
            gauge("prometheus_remote_storage_shards", "The number of shards used for parallel sending to the remote storage.") { _, _ in 1 },
            gauge("prometheus_remote_storage_max_samples_per_send", "The maximum number of samples to be sent, in a single request, to the remote storage.") { q, _ in
                Double(q.maxSamplesPerSend)
            },
            gauge("vigil_remote_storage_queue_capacity_samples", "Samples the in-memory queue holds at most (queue_config.capacity).") { q, _ in
                Double(q.capacity)
            },
        ]
    }
}
