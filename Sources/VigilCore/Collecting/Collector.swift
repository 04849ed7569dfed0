public import Foundation

/// What a collection cycle is given.
public struct CollectContext: Sendable {
    /// Wall-clock time the cycle started.
    public let startedAt: Date
    /// The cycle must give up by this instant; collectors pass what is left to their C calls.
    public let deadline: ContinuousClock.Instant

    public init(startedAt: Date, deadline: ContinuousClock.Instant) {
        self.startedAt = startedAt
        self.deadline = deadline
    }

    /// Seconds left before the deadline (never negative).
    public var remaining: Double {
        max(0, (deadline - ContinuousClock.now).seconds)
    }
}

/// A source of metric families. `collect` may block: it runs on its target's own thread,
/// never on the Swift concurrency pool. Implementations own their connection and are only
/// ever called from that one thread, one cycle at a time.
public protocol Collector: Sendable {
    /// Short kind name, used as the `collector` label of the self-metrics: "postgres", "redis".
    var kind: String { get }
    /// The `*_up` gauge this collector's target gets (`pg_up`, `redis_up`), or nil for none.
    var upMetric: String? { get }
    /// Collects one cycle. Throwing means the target is down: its old values are dropped
    /// and `upMetric` reads 0.
    func collect(_ context: CollectContext) throws -> [MetricFamily]
    /// Seconds that setting up the collector's connection may take before a cycle, on top of
    /// the cycle's own timeout (0: the collector sets up nothing ahead of its cycles).
    var connectTimeout: Double { get }
    /// Sets up the connection when there is none (the first cycle, after a loss); returns at
    /// once when connected. Runs on the target's thread right before `collect`, bounded by
    /// `deadline` (now + `connectTimeout`), so a slow first connection does not eat the cycle's
    /// timeout and read a healthy server as down. Throwing means the target is down.
    func connect(deadline: ContinuousClock.Instant) throws
    /// Releases connections. Called once, from the target's thread, when the target stops.
    func close()
    /// Families the rule engine sees under another name than `/metrics` shows them
    /// (`/metrics` name → rule name; empty for most collectors). The scheduler applies it to
    /// what it hands `onPublish`, never to the store: a scrape job's `vigil_scrape_up` is
    /// `up` inside rules, as in Prometheus, without clashing with the `up` of a Prometheus
    /// that scrapes Vigil.
    var ruleNames: [String: String] { get }
}

extension Collector {
    public var connectTimeout: Double { 0 }
    public func connect(deadline: ContinuousClock.Instant) throws {}
    public func close() {}
    public var ruleNames: [String: String] { [:] }
}

/// A failed cycle that still has something to say: `families` (about the attempt, never the
/// target's data — its duration, failure counters) are published beside `*_up 0`. Any other
/// error publishes `*_up 0` and the self-metrics only.
public struct CollectionFailure: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let families: [MetricFamily]
    public init(_ message: String, families: [MetricFamily]) {
        self.message = message
        self.families = families
    }
    public var description: String { message }
}

/// An error message that is safe to log: it never holds a secret.
public struct CollectorError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
