public import Foundation
public import VigilCore
import Synchronization

/// The notifier's self-metrics, rendered as VigilCore families.
public final class NotifyMetrics: Sendable {
    struct Target: Hashable { var receiver: String; var integration: String }
    struct Outcome: Hashable { var target: Target; var outcome: String }
    struct GiveUp: Hashable { var target: Target; var reason: String }
    struct Histogram { var buckets: [Double]; var sum = 0.0; var count = 0.0 }

    static let bounds: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600]

    struct State {
        var outcomes: [Outcome: Double] = [:]
        var retries: [Target: Double] = [:]
        var givenUp: [GiveUp: Double] = [:]
        var latency: [Target: Histogram] = [:]
        var muted: [String: Double] = [:]
        var outboxWriteFailures = 0.0
        /// When each receiver last had a notification delivered (for the status page).
        var lastDelivery: [String: Date] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    func delivered(_ t: Target, latency: Double) {
        state.withLock { s in
            s.outcomes[Outcome(target: t, outcome: "delivered"), default: 0] += 1
            s.lastDelivery[t.receiver] = Date()
            var h = s.latency[t] ?? Histogram(buckets: Array(repeating: 0, count: Self.bounds.count))
            for (i, b) in Self.bounds.enumerated() where latency <= b { h.buckets[i] += 1 }
            h.sum += latency
            h.count += 1
            s.latency[t] = h
        }
    }

    /// An undelivered notification replaced by a newer one for the same group and integration.
    func superseded(_ t: Target) {
        state.withLock { $0.outcomes[Outcome(target: t, outcome: "superseded"), default: 0] += 1 }
    }

    func retried(_ t: Target) { state.withLock { $0.retries[t, default: 0] += 1 } }

    func gaveUp(_ t: Target, reason: String) {
        state.withLock { s in
            s.outcomes[Outcome(target: t, outcome: "given_up"), default: 0] += 1
            s.givenUp[GiveUp(target: t, reason: reason), default: 0] += 1
        }
    }

    func muted(_ reason: String, count: Int) {
        guard count > 0 else { return }
        state.withLock { $0.muted[reason, default: 0] += Double(count) }
    }

    /// Receiver → when a notification to it was last delivered (since this process started).
    public func lastDeliveries() -> [String: Date] { state.withLock { $0.lastDelivery } }

    func outboxWriteFailed() { state.withLock { $0.outboxWriteFailures += 1 } }

    /// Counters and histogram so far, plus the outbox gauges at `now`.
    public func families(outboxCount: Int, oldest: Date?, at now: Date) -> [MetricFamily] {
        let s = state.withLock { $0 }
        func labels(_ t: Target) -> Labels { ["receiver": t.receiver, "integration": t.integration] }
        let outcomes = s.outcomes.sorted { ($0.key.target.receiver, $0.key.target.integration, $0.key.outcome) < ($1.key.target.receiver, $1.key.target.integration, $1.key.outcome) }
        let targets = { (d: [Target: Double]) in d.sorted { ($0.key.receiver, $0.key.integration) < ($1.key.receiver, $1.key.integration) } }
        return [
            .counter("vigil_notifications_total", "Notifications by receiver, integration and final outcome (delivered, given_up, or superseded by a newer notification of the same group).",
                     outcomes.map { Sample(labels($0.key.target).appending("outcome", $0.key.outcome), $0.value) }),
            .counter("vigil_notification_retries_total", "Failed delivery attempts that were scheduled for a retry.",
                     targets(s.retries).map { Sample(labels($0.key), $0.value) }),
            .counter("vigil_notifications_given_up_total", "Notifications given up, by reason (http_4xx, http_3xx, max_age, unknown_integration).",
                     s.givenUp.sorted { ($0.key.target.receiver, $0.key.target.integration, $0.key.reason) < ($1.key.target.receiver, $1.key.target.integration, $1.key.reason) }
                        .map { Sample(labels($0.key.target).appending("reason", $0.key.reason), $0.value) }),
            .histogram("vigil_notification_delivery_seconds", "Time from a notification entering the outbox to its successful delivery.",
                       series: s.latency.sorted { ($0.key.receiver, $0.key.integration) < ($1.key.receiver, $1.key.integration) }.map { entry in
                           (labels(entry.key), Array(zip(Self.bounds, entry.value.buckets)), entry.value.sum, entry.value.count)
                       }),
            .gauge("vigil_notification_outbox_entries", "Notifications waiting in the durable outbox.", value: Double(outboxCount)),
            .gauge("vigil_notification_outbox_oldest_age_seconds", "Age of the oldest outbox entry (0 when empty).",
                   value: oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0),
            .counter("vigil_notification_outbox_write_failures_total", "Notifications that could not be written to the outbox.",
                     [Sample(Labels(), s.outboxWriteFailures)]),
            .counter("vigil_alerts_muted_total", "Alerts left out of a notification, by reason (silenced or inhibited).",
                     s.muted.sorted { $0.key < $1.key }.map { Sample(["reason": $0.key], $0.value) }),
        ]
    }
}
