import Foundation
import HTTPServer
import Notify
import Rules
import VigilCore

/// Fills the status page's state from what is already in memory: the scheduler's last outcome
/// per target, a copy of the rule runtime's snapshot (alerts, groups, history), the notifier's
/// silences, outbox and last deliveries (the outbox's durable record, so a restart keeps them). Taking the rule runtime's snapshot waits for an
/// evaluation in progress, so `/` is a deferred reply rendered on this source's own thread
/// (`WorkerPool`, one thread, a short queue, 503 past it): libmicrohttpd's threads — and with
/// them `/metrics` and `/-/healthy` — never wait for it.
final class StatusPageSource: Sendable {
    struct Inputs: Sendable {
        var targets: @Sendable () -> [TargetStatus]
        /// The rule runtime's snapshot (may wait for an evaluation in progress).
        var rules: @Sendable () -> RuleRuntime.Snapshot?
        var notifier: @Sendable () -> Notifier?
        var ready: @Sendable () -> Bool
        var dashboardsURL: @Sendable () -> String?
    }

    /// The seed's key metrics, as the shipped recording rules name them; a chart appears for
    /// each one the history holds.
    static let charts: [(metric: String, title: String, unit: StatusPage.Unit)] = [
        ("query_duration_p95", "PG query p95", .seconds),
        ("active_connections", "PG active connections", .count),
        ("connection_pool_usage", "PG connection use", .ratio),
        ("replication_lag", "Replication lag", .seconds),
        ("memory_usage_bytes", "Redis memory", .bytes),
        ("connected_clients", "Redis clients", .count),
        ("api_request_duration", "API p95", .seconds),
        ("error_rate_5m", "API error rate", .ratio),
        ("background_job_queue_size", "Queue size", .count),
    ]
    /// Series drawn per metric (the rest are left out; the page says how many).
    static let seriesPerChart = 6
    /// The charts cover at most this much of the retained history.
    static let maxWindow: Int64 = 3_600_000

    private let inputs: Inputs
    private let pool = WorkerPool(name: "vigil-status", threads: 1, queueLimit: 4)

    init(_ inputs: Inputs) {
        self.inputs = inputs
    }

    /// `GET /`: rendered off libmicrohttpd's threads.
    func reply() -> HTTPReply {
        .deferred { [self] responder in
            let queued = pool.submit({ [self] in
                let html = StatusPage.render(state(at: Date()))
                responder.respond(HTTPResponse(status: 200, headers: Self.pageHeaders, body: Array(html.utf8)))
            }, ifDropped: { responder.respond(.text(status: 503, "503 Vigil is shutting down\n")) })
            if !queued {
                responder.respond(.text(status: 503, "503 the status page is busy; retry shortly\n", headers: [("Retry-After", "1")]))
            }
        }
    }

    /// The page's headers: HTML, never cached (it is a moment's state), the strict policy.
    static let pageHeaders = [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")] + SecurityHeaders.page

    func shutdown() { _ = pool.shutdown(waitSeconds: 1) }

    func state(at now: Date) -> StatusPage.State {
        let snapshot = inputs.rules()
        var state = StatusPage.State(version: VigilVersion.current, now: now, ready: inputs.ready())
        state.dashboardsURL = inputs.dashboardsURL()
        state.targets = inputs.targets().map {
            StatusPage.Target(kind: $0.kind, name: $0.name, up: $0.up, lastCollection: $0.lastCollection,
                              duration: $0.duration, lastError: $0.up == false ? $0.lastError : nil)
        }
        let notifier = inputs.notifier()
        let silences = notifier?.silences.all ?? []
        if let snapshot {
            state.alertingRules = snapshot.groups.contains { g in g.group.rules.contains { if case .alerting = $0 { true } else { false } } }
            state.alerts = snapshot.engine.states.values.flatMap(\.alerts).filter { $0.state != .inactive }
                .sorted { ($0.labels["alertname"] ?? "", $0.labels) < ($1.labels["alertname"] ?? "", $1.labels) }
                .map { a in
                    let labels = a.labels.labels.map { (name: $0.name, value: $0.value) }
                    let dict = Dictionary(labels.map { ($0.name, $0.value) }, uniquingKeysWith: { x, _ in x })
                    return StatusPage.AlertRow(
                        name: a.labels["alertname"] ?? "", state: a.state.rawValue, labels: labels,
                        annotations: a.annotations.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) },
                        activeAt: Self.date(a.activeAt), firedAt: a.firedAt.map(Self.date), value: a.value,
                        silencedBy: silences.filter { $0.mutes(dict, at: now) }.map(\.id))
                }
            state.groups = snapshot.groups.map { g in
                StatusPage.GroupRow(name: g.group.name, file: g.group.file, interval: Double(g.interval) / 1000, rules: g.rules.count,
                                    lastEvaluation: g.lastEvaluation.map(Self.date), evaluationSeconds: g.evaluationSeconds,
                                    errors: g.rules.compactMap { r in r.lastError.map { "\(r.rule.name): \($0)" } })
            }
            (state.charts, state.chartWindow) = Self.charts(snapshot.history, at: SeriesHistory.milliseconds(now))
        } else {
            state.alertingRules = false
        }
        if let notifier {
            state.silences = silences.map {
                StatusPage.SilenceRow(id: $0.id, matchers: "{" + $0.matchers.map(\.description).joined(separator: ", ") + "}",
                                      state: $0.state(at: now).rawValue, startsAt: $0.startsAt, endsAt: $0.endsAt,
                                      createdBy: $0.createdBy, comment: $0.comment)
            }
            let entries = notifier.outbox.entries
            // The outbox's durable record (deliveries before a restart too), and this run's own.
            let delivered = notifier.outbox.lastDeliveries.merging(notifier.metrics.lastDeliveries()) { max($0, $1) }
            state.receivers = notifier.config.receivers.map { r in
                let waiting = entries.filter { $0.receiver == r.name }
                return StatusPage.ReceiverRow(name: r.name, outboxDepth: waiting.count, oldestWaiting: waiting.map(\.createdAt).min(),
                                              lastDelivery: delivered[r.name],
                                              lastError: waiting.max { $0.nextAttemptAt < $1.nextAttemptAt }?.lastError)
            }
        }
        return state
    }

    /// The key metrics' series over the retained window (at most `maxWindow`), and the span they
    /// cover: from the oldest sample drawn to `now`.
    static func charts(_ history: SeriesHistory, at now: Int64) -> ([StatusPage.Chart], Int64) {
        let window = min(max(history.retention, 60_000), maxWindow)
        var out: [StatusPage.Chart] = []
        for spec in charts {
            guard let name = try? LabelMatcher("__name__", .equal, spec.metric) else { continue }
            let selected = history.select([name])
            var series: [StatusPage.Chart.Series] = []
            // Series that went stale (a target removed or relabeled) are left out.
            for ls in selected.filter({ history.latest($0, at: now, lookback: PromQL.lookbackDelta) != nil }).prefix(seriesPerChart) {
                let points = history.range(ls, after: now - window, through: now).map { StatusPage.Chart.Point(t: $0.t, v: $0.v) }
                guard points.contains(where: { $0.v.isFinite }) else { continue }
                let labels = ls.labels.filter { $0.name != "__name__" }.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
                series.append(.init(labels: labels, points: points))
            }
            if !series.isEmpty { out.append(StatusPage.Chart(title: spec.title, metric: spec.metric, unit: spec.unit, series: series)) }
        }
        // Soon after a start the history is short: the charts span what there is (at least 10s).
        let earliest = out.flatMap { $0.series.compactMap { $0.points.first?.t } }.min() ?? (now - window)
        return (out, min(window, max(10_000, now - earliest)))
    }

    static func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }
}
