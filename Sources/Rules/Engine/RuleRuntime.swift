import Dispatch
public import Foundation
public import Logging
import Synchronization
public import VigilCore

/// Runs the loaded rule groups against the history of everything collected.
///
/// All state lives on one serial dispatch queue (not the 2-thread concurrency pool: one
/// evaluation of a large rule set must not starve the rest of the process). Groups whose
/// interval equals the collection interval are evaluated as soon as collections land
/// (coalesced over a short window, so targets finishing together share one evaluation) — an
/// alert never waits a second phase; other groups run on their own timers. Alert state is
/// saved in the state directory after every evaluation and restored at start. Time and timers
/// come from the injected `RuleClock`.
public final class RuleRuntime: @unchecked Sendable {
    /// What the runtime needs of the configuration.
    public struct Settings: Sendable {
        public var groups: [RuleGroup]
        /// The global collection interval, seconds: groups with this interval are evaluated on landings.
        public var collectionInterval: Double
        /// The interval of groups without their own, seconds.
        public var evaluationInterval: Double
        public var externalLabels: [String: String]
        public var externalURL: String
        /// Where alert state is persisted (created when missing).
        public var stateDirectory: String

        public init(groups: [RuleGroup], collectionInterval: Double, evaluationInterval: Double,
                    externalLabels: [String: String] = [:], externalURL: String = "", stateDirectory: String) {
            self.groups = groups
            self.collectionInterval = collectionInterval
            self.evaluationInterval = evaluationInterval
            self.externalLabels = externalLabels
            self.externalURL = externalURL
            self.stateDirectory = stateDirectory
        }
    }

    /// What the notifier is told after each evaluation: every firing alert (so groups stay
    /// complete, as Prometheus re-sends them) and the alerts that just resolved.
    public struct AlertUpdate: Sendable {
        public var firing: [Alert]
        public var resolved: [Alert]
        /// The expression of each alerting rule, by alert name, for generator URLs.
        public var expressions: [String: String]
        public var at: Date

        public init(firing: [Alert], resolved: [Alert], expressions: [String: String], at: Date) {
            self.firing = firing
            self.resolved = resolved
            self.expressions = expressions
            self.at = at
        }
    }

    /// The HTTP API's view of the runtime.
    public struct Snapshot: Sendable {
        public var history: SeriesHistory
        public var engine: RuleEngine
        public var groups: [PrometheusAPI.GroupStatus]
    }

    /// What the read APIs (`/api/v1/alerts`, `/api/v1/rules`) serve: every alert and every
    /// group's status as of the last evaluation (or load), published on the queue after each
    /// one. `generation` grows with each publication, so a reader can keep what it rendered
    /// from a generation until the next. Reading it never waits for an evaluation.
    public struct View: Sendable {
        public var generation: UInt64
        public var alerts: [Alert]
        public var groups: [PrometheusAPI.GroupStatus]

        public init(generation: UInt64, alerts: [Alert], groups: [PrometheusAPI.GroupStatus]) {
            self.generation = generation
            self.alerts = alerts
            self.groups = groups
        }
    }

    private let published = Mutex(View(generation: 0, alerts: [], groups: []))

    // Everything below `queue` is touched only on `queue`.
    private let queue = DispatchQueue(label: "vigil.rules")
    private var groups: [RuleGroup] = []
    private var engine: RuleEngine
    private var history = SeriesHistory()
    private var stats = RuleEngineStats()
    private var collectionInterval: Double
    private var evaluationInterval: Double
    private var coalescePending = false
    /// The timer of each group evaluated on its own interval, by group key, with the group and
    /// interval it was armed for: a reload keeps the timer (and so the phase) of a group it
    /// leaves unchanged, as Prometheus keeps an unchanged group running.
    private var timers: [String: (group: RuleGroup, every: Double, timer: any RuleTimer)] = [:]
    private var lastStatus: [String: PrometheusAPI.GroupStatus] = [:]
    /// The latest output of every recording rule, by group key, exposed on /metrics.
    private var recorded: [String: [MetricFamily]] = [:]
    private var stateStore: AlertStateStore?

    private let store: SnapshotStore
    private let clock: any RuleClock
    private let logger: Logger
    private let onAlerts: @Sendable (AlertUpdate) -> Void
    /// Gets what each evaluation publishes (recording-rule outputs, engine statistics) with its
    /// evaluation time, for remote write.
    private let onPublish: @Sendable ([MetricFamily], Date) -> Void
    /// The source key under which recording-rule outputs and engine statistics are published.
    public static let source = "rules/engine"
    /// How long after a landing the landing-driven groups are evaluated, seconds.
    public static let coalesceWindow = 0.2

    /// Loads `settings` (restoring alert state from its state directory) and publishes the
    /// engine's statistics; returns once that is done.
    public init(settings: Settings, store: SnapshotStore, logger: Logger, clock: any RuleClock = DispatchRuleClock(),
                onAlerts: @escaping @Sendable (AlertUpdate) -> Void = { _ in },
                onPublish: @escaping @Sendable ([MetricFamily], Date) -> Void = { _, _ in }) {
        self.onPublish = onPublish
        self.store = store
        self.clock = clock
        self.logger = logger
        self.onAlerts = onAlerts
        self.collectionInterval = settings.collectionInterval
        self.evaluationInterval = settings.evaluationInterval
        self.engine = RuleEngine(externalLabels: settings.externalLabels, externalURL: settings.externalURL,
                                 evaluationInterval: Int64(settings.evaluationInterval * 1000))
        queue.sync { apply(settings, restoring: true) }
    }

    /// Takes new settings' rules; alert state of rules that stay is kept.
    public func reload(_ settings: Settings) {
        queue.async { self.apply(settings, restoring: false) }
    }

    /// Feeds one landed collection (every target, success or not) into the history.
    public func ingest(source: String, families: [MetricFamily], at date: Date, targetInterval: Double) {
        queue.async {
            self.history.append(families: families, at: date, source: source)
            guard abs(targetInterval - self.collectionInterval) < 0.001, !self.coalescePending else { return }
            self.coalescePending = true
            _ = self.clock.schedule(after: Self.coalesceWindow, repeating: nil, on: self.queue) {
                self.coalescePending = false
                self.evaluate(self.groups.filter { self.interval(of: $0) == self.collectionInterval }, at: self.clock.now())
            }
        }
    }

    /// Cancels the groups' timers.
    public func stop() {
        queue.sync {
            for t in timers.values { t.timer.cancel() }
            timers = [:]
        }
    }

    /// The last published `View`: a copy taken under a short lock, never waiting for the
    /// evaluation in progress.
    public func view() -> View {
        published.withLock { $0 }
    }

    /// The HTTP API's view: a consistent copy (copy-on-write, so cheap unless held while the
    /// queue mutates). Waits at most for the evaluation in progress (and for work submitted
    /// before the call).
    public func snapshot() -> Snapshot {
        queue.sync { Snapshot(history: history, engine: engine, groups: groupStatuses()) }
    }

    // MARK: - on `queue`

    private func interval(of group: RuleGroup) -> Double {
        group.interval.map { Double($0) / 1000 } ?? evaluationInterval
    }

    private func apply(_ settings: Settings, restoring: Bool) {
        groups = settings.groups
        collectionInterval = settings.collectionInterval
        evaluationInterval = settings.evaluationInterval
        engine.externalLabels = settings.externalLabels
        engine.externalURL = settings.externalURL
        engine.evaluationInterval = Int64(evaluationInterval * 1000)
        engine.retain(groups: groups)
        stats.retain(groups: groups)
        history.retention = RuleChecker.retentionNeeded(groups)
        lastStatus = lastStatus.filter { key, _ in groups.contains { Self.key($0) == key } }
        recorded = recorded.filter { key, _ in groups.contains { Self.key($0) == key } }

        stateStore = openStateDirectory(settings.stateDirectory)
        if restoring, let stateStore {
            do {
                let loaded = try stateStore.load()
                engine.states = loaded.states
                // Drop restored state of rules that are no longer loaded.
                engine.retain(groups: groups)
                if !loaded.states.isEmpty {
                    logger.info("alert state restored", metadata: ["rules": "\(loaded.states.count)", "path": "\(stateStore.path)"])
                }
            } catch {
                logger.error("alert state not restored; starting fresh", metadata: ["error": "\(error)"])
            }
        }

        var armed: [String: (group: RuleGroup, every: Double, timer: any RuleTimer)] = [:]
        for group in groups where interval(of: group) != collectionInterval {
            let every = interval(of: group)
            let key = Self.key(group)
            guard armed[key] == nil else { continue }
            if let running = timers[key], running.group == group, running.every == every {
                armed[key] = running
                timers[key] = nil
                continue
            }
            armed[key] = (group, every, clock.schedule(after: every, repeating: every, on: queue) { [weak self] in
                guard let self else { return }
                self.evaluate([group], at: self.clock.now())
            })
        }
        for t in timers.values { t.timer.cancel() }
        timers = armed
        logger.info("rules loaded", metadata: ["groups": "\(groups.count)", "rules": "\(groups.reduce(0) { $0 + $1.rules.count })"])
        publish()
    }

    private func openStateDirectory(_ path: String) -> AlertStateStore? {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return AlertStateStore(directory: path)
        } catch {
            logger.error("state directory unusable; alert state will not survive a restart",
                         metadata: ["state_dir": "\(path)", "error": "\(error.localizedDescription)"])
            return nil
        }
    }

    private static func key(_ g: RuleGroup) -> String { "\(g.file);\(g.name)" }

    private func evaluate(_ due: [RuleGroup], at date: Date) {
        guard !due.isEmpty else { return }
        let t = SeriesHistory.milliseconds(date)
        var transitions: [AlertTransition] = []
        for group in due {
            let (result, seconds) = clock.measure { engine.evaluate(group, at: t, history: &history) }
            stats.record(result, group: group, at: t, duration: seconds)
            if seconds > interval(of: group) {
                stats.recordMissed(group, count: Int(seconds / interval(of: group)))
            }
            for r in result.rules where r.error != nil {
                logger.warning("rule evaluation failed", metadata: ["group": "\(group.name)", "rule": "\(r.rule)", "error": "\(r.error.map { "\($0)" } ?? "")"])
            }
            transitions += result.transitions
            lastStatus[Self.key(group)] = status(group, result: result, at: t, seconds: seconds)
            recorded[Self.key(group)] = Self.recordedFamilies(group, result)
        }
        history.prune(now: t)
        if let stateStore {
            do { try stateStore.save(engine.states, now: t) } catch {
                logger.error("alert state not saved", metadata: ["error": "\(error)"])
            }
        }
        publish(at: date)
        let firing = engine.states.values.flatMap(\.alerts).filter { $0.state == .firing }
        let resolved = transitions.filter { $0.from == .firing && $0.to == .inactive }.map(\.alert)
        var expressions: [String: String] = [:]
        for g in groups {
            for case .alerting(let rule) in g.rules { expressions[rule.name] = rule.exprText }
        }
        onAlerts(AlertUpdate(firing: firing, resolved: resolved, expressions: expressions, at: date))
    }

    private func status(_ group: RuleGroup, result: RuleEngine.GroupResult, at t: Int64, seconds: Double) -> PrometheusAPI.GroupStatus {
        let rules = zip(group.rules, result.rules).map { rule, r in
            PrometheusAPI.RuleStatus(rule: rule, alerts: r.alerts, lastError: r.error.map { "\($0)" },
                                     lastEvaluation: t, evaluationSeconds: 0)
        }
        return PrometheusAPI.GroupStatus(group: group, interval: Int64(interval(of: group) * 1000), rules: rules,
                                         lastEvaluation: t, evaluationSeconds: seconds)
    }

    /// Recording-rule outputs as gauges named by `record`, so a Prometheus scraping Vigil gets
    /// the recorded series (the seed's named metrics) without loading the rules itself.
    static func recordedFamilies(_ group: RuleGroup, _ result: RuleEngine.GroupResult) -> [MetricFamily] {
        var byName: [String: MetricFamily] = [:]
        for (rule, r) in zip(group.rules, result.rules) {
            guard case .recording(let rec) = rule, r.error == nil else { continue }
            var family = byName[rec.name] ?? .gauge(rec.name, "Recorded by rule group \(group.name): \(rec.exprText)", [])
            family.samples += r.samples.map { Sample($0.labels.withoutName, $0.value) }
            byName[rec.name] = family
        }
        return byName.keys.sorted().compactMap { byName[$0] }
    }

    private func publish(at date: Date? = nil) {
        var families = stats.families(groups: groups)
        families += groups.flatMap { recorded[Self.key($0)] ?? [] }
        families += RuleEngineStats.alertFamilies(engine)
        families += RuleEngineStats.historyFamilies(history)
        store.update(source: Self.source, families: families)
        let alerts = engine.states.values.flatMap(\.alerts), statuses = groupStatuses()
        published.withLock { $0 = View(generation: $0.generation + 1, alerts: alerts, groups: statuses) }
        onPublish(families, date ?? clock.now())
    }

    private func groupStatuses() -> [PrometheusAPI.GroupStatus] {
        groups.map { g in
            lastStatus[Self.key(g)] ?? PrometheusAPI.GroupStatus(
                group: g, interval: Int64(interval(of: g) * 1000), rules: g.rules.map { PrometheusAPI.RuleStatus(rule: $0) })
        }
    }
}
