import Dispatch
import Foundation
import Logging
import Rules
import VigilCore

/// Runs the loaded rule groups against the history of everything collected.
///
/// All state lives on one serial dispatch queue (not the 2-thread concurrency pool: one
/// evaluation of a large rule set must not starve the rest of the process). Groups whose
/// interval equals the collection interval are evaluated as soon as collections land
/// (coalesced over a short window, so targets finishing together share one evaluation) — an
/// alert never waits a second phase; other groups run on their own timers.
final class RuleService: @unchecked Sendable {
    // Everything below `queue` is touched only on `queue`.
    private let queue = DispatchQueue(label: "vigil.rules")
    private var groups: [RuleGroup] = []
    private var engine: RuleEngine
    private var history = SeriesHistory()
    private var stats = RuleEngineStats()
    private var collectionInterval: Double
    private var evaluationInterval: Double
    private var coalescePending = false
    private var timers: [any DispatchSourceTimer] = []
    private var lastStatus: [String: PrometheusAPI.GroupStatus] = [:]
    /// The latest output of every recording rule, by group key, exposed on /metrics.
    private var recorded: [String: [MetricFamily]] = [:]
    private var stateStore: AlertStateStore?

    private let store: SnapshotStore
    private let logger: Logger
    private let onAlerts: @Sendable (AlertUpdate) -> Void
    static let source = "rules/engine"
    static let coalesceWindow = 0.2

    /// What the notifier is told after each evaluation: every firing alert (so groups stay
    /// complete, as Prometheus re-sends them) and the alerts that just resolved.
    struct AlertUpdate: Sendable {
        var firing: [Rules.Alert]
        var resolved: [Rules.Alert]
        /// The expression of each alerting rule, by alert name, for generator URLs.
        var expressions: [String: String]
        var at: Date
    }

    init(config: VigilConfig, store: SnapshotStore, logger: Logger,
         onAlerts: @escaping @Sendable (AlertUpdate) -> Void = { _ in }) {
        self.store = store
        self.logger = logger
        self.onAlerts = onAlerts
        self.collectionInterval = config.global.collectInterval
        self.evaluationInterval = config.evaluationInterval
        self.engine = RuleEngine(externalLabels: config.global.externalLabels, externalURL: config.global.externalURL,
                                 evaluationInterval: Int64(config.evaluationInterval * 1000))
        queue.sync { apply(config, restoring: true) }
    }

    /// Takes a new configuration's rules; alert state of rules that stay is kept.
    func reload(_ config: VigilConfig) {
        queue.async { self.apply(config, restoring: false) }
    }

    /// Feeds one landed collection (every target, success or not) into the history.
    func ingest(source: String, families: [MetricFamily], at date: Date, targetInterval: Double) {
        queue.async {
            self.history.append(families: families, at: date, source: source)
            guard abs(targetInterval - self.collectionInterval) < 0.001, !self.coalescePending else { return }
            self.coalescePending = true
            self.queue.asyncAfter(deadline: .now() + Self.coalesceWindow) {
                self.coalescePending = false
                self.evaluate(self.groups.filter { self.interval(of: $0) == self.collectionInterval }, at: Date())
            }
        }
    }

    func stop() {
        queue.sync {
            for t in timers { t.cancel() }
            timers = []
        }
    }

    /// The HTTP API's view: a consistent copy (copy-on-write, so cheap unless held while the
    /// queue mutates). Waits at most for the evaluation in progress.
    func snapshot() -> (history: SeriesHistory, engine: RuleEngine, groups: [PrometheusAPI.GroupStatus]) {
        queue.sync { (history, engine, groupStatuses()) }
    }

    // MARK: - on `queue`

    private func interval(of group: RuleGroup) -> Double {
        group.interval.map { Double($0) / 1000 } ?? evaluationInterval
    }

    private func apply(_ config: VigilConfig, restoring: Bool) {
        for t in timers { t.cancel() }
        timers = []
        groups = config.ruleGroups
        collectionInterval = config.global.collectInterval
        evaluationInterval = config.evaluationInterval
        engine.externalLabels = config.global.externalLabels
        engine.externalURL = config.global.externalURL
        engine.evaluationInterval = Int64(evaluationInterval * 1000)
        engine.retain(groups: groups)
        stats.retain(groups: groups)
        history.retention = RuleChecker.retentionNeeded(groups)
        lastStatus = lastStatus.filter { key, _ in groups.contains { Self.key($0) == key } }
        recorded = recorded.filter { key, _ in groups.contains { Self.key($0) == key } }

        stateStore = openStateDirectory(config.global.stateDirectory)
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

        for group in groups where interval(of: group) != collectionInterval {
            let timer = DispatchSource.makeTimerSource(queue: queue)
            let every = interval(of: group)
            timer.schedule(deadline: .now() + every, repeating: every, leeway: .milliseconds(10))
            timer.setEventHandler { [weak self] in self?.evaluate([group], at: Date()) }
            timer.resume()
            timers.append(timer)
        }
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
        let clock = ContinuousClock()
        for group in due {
            let start = clock.now
            let result = engine.evaluate(group, at: t, history: &history)
            let elapsed = clock.now - start
            let seconds = elapsed.seconds
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
        publish()
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

    private func publish() {
        var families = stats.families(groups: groups)
        families += groups.flatMap { recorded[Self.key($0)] ?? [] }
        families += RuleEngineStats.alertFamilies(engine)
        families += RuleEngineStats.historyFamilies(history)
        store.update(source: Self.source, families: families)
    }

    private func groupStatuses() -> [PrometheusAPI.GroupStatus] {
        groups.map { g in
            lastStatus[Self.key(g)] ?? PrometheusAPI.GroupStatus(
                group: g, interval: Int64(interval(of: g) * 1000), rules: g.rules.map { PrometheusAPI.RuleStatus(rule: $0) })
        }
    }
}
