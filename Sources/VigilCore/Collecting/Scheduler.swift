public import Foundation
public import Logging
import Synchronization

/// One scheduled target: a collector, its interval and timeout.
public struct TargetSpec: Sendable {
    public var name: String
    /// Seconds between cycle starts.
    public var interval: Double
    /// Seconds a cycle may take before the target is reported down.
    public var timeout: Double
    public var collector: any Collector
    /// Labels put on every series of this target (`server` when several of its kind exist).
    public var extraLabels: [Label]
    /// What a reload compares: equal identities keep the running target. Without one given,
    /// the schedule and labels under the collector's kind and the target's name (for
    /// Vigil's own targets, whose collectors hold nothing else of the configuration).
    public var identity: TargetIdentity

    public init(name: String, interval: Double, timeout: Double, collector: any Collector, extraLabels: [Label] = [],
                identity: TargetIdentity? = nil) {
        self.name = name
        self.interval = interval
        self.timeout = timeout
        self.collector = collector
        self.extraLabels = extraLabels
        self.identity = identity ?? TargetIdentity(kind: collector.kind, name: name, interval: interval, timeout: timeout,
                                                   labels: extraLabels)
    }

    public var sourceKey: String { "\(collector.kind)/\(name)" }
}

/// Runs every target on its own thread at its own interval. A cycle is bounded by its
/// timeout: when it overruns, the target is published as down at the timeout instant and
/// the late result is discarded. Ticks missed while a cycle runs are skipped and counted;
/// cycles never stack, and no target waits for another. A reload (`apply`) replaces only the
/// targets whose identity changed.
public final class Scheduler: Sendable {
    public typealias Publish = @Sendable (_ source: String, _ families: [MetricFamily], _ at: Date) -> Void

    /// The running targets, in configuration order.
    private let runners: Mutex<[TargetRunner]>
    private let store: SnapshotStore
    private let logger: Logger
    private let onPublish: Publish?
    private let onStore: Publish?
    private let firstRound: FirstRound
    /// Whether `start` was called (targets added later start at once).
    private let started = Atomic<Bool>(false)

    /// `onPublish` gets each landed collection as the rule engine names it; `onStore` (remote
    /// write) as `/metrics` shows it.
    public init(targets: [TargetSpec], store: SnapshotStore, logger: Logger, onPublish: Publish? = nil, onStore: Publish? = nil) {
        self.store = store
        self.logger = logger
        self.onPublish = onPublish
        self.onStore = onStore
        self.firstRound = FirstRound(Set(targets.map(\.sourceKey)))
        self.runners = Mutex([])
        let made = targets.map { makeRunner($0) }
        runners.withLock { $0 = made }
        if targets.isEmpty { store.markReady() }
    }

    private func makeRunner(_ spec: TargetSpec) -> TargetRunner {
        let ruleNames = spec.collector.ruleNames
        return TargetRunner(spec: spec, logger: logger) { [store, onStore, onPublish, firstRound] source, families, at in
            store.update(source: source, families: families)
            onStore?(source, families, at)
            onPublish?(source, ruleNames.isEmpty ? families : Self.renamed(families, ruleNames), at)
            if firstRound.completed(source) { store.markReady() }
        }
    }

    /// `families` with the names in `names` replaced (the rule engine's view of a collection).
    static func renamed(_ families: [MetricFamily], _ names: [String: String]) -> [MetricFamily] {
        families.map { f in
            guard let name = names[f.name] else { return f }
            var f = f
            f.name = name
            return f
        }
    }

    public var sourceKeys: Set<String> { Set(runners.withLock { $0 }.map(\.spec.sourceKey)) }

    /// The identities of the running targets, in configuration order.
    public var identities: [TargetIdentity] { runners.withLock { $0 }.map(\.spec.identity) }

    /// Every target's last outcome, in configuration order (for the status page).
    public func statuses() -> [TargetStatus] { runners.withLock { $0 }.map { $0.status() } }

    public func start() {
        started.store(true, ordering: .sequentiallyConsistent)
        for r in runners.withLock({ $0 }) { r.start() }
    }

    /// Moves to `targets` (a reload): a target whose identity is unchanged keeps running as it
    /// is (thread, collector and its connection, schedule phase, counters, last status); a
    /// changed one is stopped and started again from its new spec, a removed one stopped, a new
    /// one started. The spec given for a kept target is dropped (its collector was never
    /// connected). Waits up to `stopTimeout` seconds for the stopped ones (blocking: call it
    /// off the concurrency pool); one still inside a blocking call then publishes nothing more.
    /// Their series stay in the store until the caller retains the new `sourceKeys`.
    @discardableResult
    public func apply(_ targets: [TargetSpec], stopTimeout: Double = 5) -> (plan: TargetPlan, stoppedInTime: Bool) {
        let current = runners.withLock { $0 }
        let plan = TargetPlan.make(running: current.map(\.spec.identity), wanted: targets.map(\.identity))
        let stopping = current.filter { plan.stops($0.spec.sourceKey) }
        for r in stopping { r.requestStop() }
        let deadline = Date().addingTimeInterval(stopTimeout)
        var inTime = true
        for r in stopping where !r.waitStopped(until: deadline) { inTime = false }

        var byKey: [String: TargetRunner] = [:]
        for r in current where byKey[r.spec.sourceKey] == nil { byKey[r.spec.sourceKey] = r }
        let kept = Set(plan.kept)
        var next: [TargetRunner] = []
        var fresh: [TargetRunner] = []
        var seen: Set<String> = []
        for spec in targets where seen.insert(spec.sourceKey).inserted {
            if kept.contains(spec.sourceKey), let running = byKey[spec.sourceKey] {
                next.append(running)
            } else {
                let r = makeRunner(spec)
                next.append(r)
                fresh.append(r)
            }
        }
        runners.withLock { $0 = next }
        if started.load(ordering: .sequentiallyConsistent) {
            for r in fresh { r.start() }
        }
        return (plan, inTime)
    }

    /// Asks every runner to stop and waits up to `timeout` seconds for them to finish.
    /// Returns false when a runner is still inside a blocking call at the end.
    @discardableResult
    public func stop(timeout: Double = 3) -> Bool {
        let all = runners.withLock { $0 }
        for r in all { r.requestStop() }
        let deadline = Date().addingTimeInterval(timeout)
        var stopped = true
        for r in all where !r.waitStopped(until: deadline) { stopped = false }
        return stopped
    }
}

/// What the last cycle of one target did, as the status page shows it.
public struct TargetStatus: Sendable, Equatable {
    /// The collector's kind (`postgres`, `redis`, `scrape`, `probe`, `backup`, `process`, …).
    public var kind: String
    public var name: String
    /// Whether the last finished cycle succeeded; nil before the first one.
    public var up: Bool?
    /// When the last cycle finished (or timed out).
    public var lastCollection: Date?
    /// Seconds the last cycle took.
    public var duration: Double
    /// The error of the last failed cycle, while the target is down (as logged: secrets redacted by the collectors).
    public var lastError: String?
    public var interval: Double

    public init(kind: String, name: String, up: Bool?, lastCollection: Date?, duration: Double, lastError: String?, interval: Double) {
        self.kind = kind
        self.name = name
        self.up = up
        self.lastCollection = lastCollection
        self.duration = duration
        self.lastError = lastError
        self.interval = interval
    }
}

/// Tracks which targets have not finished their first cycle yet.
final class FirstRound: Sendable {
    private let pending: Mutex<Set<String>>
    init(_ keys: Set<String>) { pending = Mutex(keys) }
    /// Marks `key` done; true when it was the last one.
    func completed(_ key: String) -> Bool {
        pending.withLock { p in
            guard p.remove(key) != nil else { return false }
            return p.isEmpty
        }
    }
}

/// The loop of one target.
final class TargetRunner: Sendable {
    let spec: TargetSpec
    private let logger: Logger
    private let publish: Scheduler.Publish
    private let condition = NSCondition()
    private let state = Mutex(RunnerState())
    private let finished = DispatchSemaphore(value: 0)

    private struct RunnerState {
        var stopRequested = false
        var generation: UInt64 = 0
        var running = false
        var timedOut = false
        var skippedTotal: Double = 0
        var lastSuccess: Double?
        var lastDuration: Double = 0
        var up: Bool?
        var lastCollection: Date?
        var lastError: String?
    }

    func status() -> TargetStatus {
        let s = state.withLock { $0 }
        return TargetStatus(kind: spec.collector.kind, name: spec.name, up: s.up, lastCollection: s.lastCollection,
                            duration: s.lastDuration, lastError: s.lastError, interval: spec.interval)
    }

    private func record(up: Bool, error: String?, at date: Date) {
        state.withLock { s in
            s.up = up
            s.lastCollection = date
            s.lastError = error
        }
    }

    init(spec: TargetSpec, logger: Logger, publish: @escaping Scheduler.Publish) {
        self.spec = spec
        var l = logger
        l[metadataKey: "target"] = "\(spec.name)"
        l[metadataKey: "collector"] = "\(spec.collector.kind)"
        self.logger = l
        self.publish = publish
    }

    func start() {
        let thread = Thread { [self] in
            self.loop()
            self.finished.signal()
        }
        thread.name = "vigil-\(spec.collector.kind)-\(spec.name)"
        thread.start()
    }

    func requestStop() {
        state.withLock { $0.stopRequested = true }
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    func waitStopped(until deadline: Date) -> Bool {
        let remaining = max(0, deadline.timeIntervalSinceNow)
        return finished.wait(timeout: .now() + remaining) == .success
    }

    private var stopRequested: Bool { state.withLock { $0.stopRequested } }

    /// Sleeps until `date` unless a stop is requested. Returns false when stopping.
    private func sleep(until date: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !stopRequested {
            if !condition.wait(until: date) { return !stopRequested }
        }
        return false
    }

    private func loop() {
        let clock = ContinuousClock()
        var next = Date()
        while !stopRequested {
            guard sleep(until: next) else { break }
            let startedAt = Date()
            let startInstant = clock.now
            // Phase 1, only when the collector sets up a connection ahead of its cycles: bounded
            // by its own connect timeout. Phase 2, the cycle itself: bounded by the timeout,
            // counted from the moment the connection is there.
            state.withLock { $0.timedOut = false }
            var result: Result<[MetricFamily], any Error>
            let connectBudget = spec.collector.connectTimeout
            if connectBudget > 0 {
                beginPhase(watchdogAfter: connectBudget, reason: "connecting timed out", seconds: connectBudget)
                result = Result { try spec.collector.connect(deadline: clock.now + .seconds(connectBudget)) }.map { [] }
            } else {
                result = .success([])
            }
            if case .success = result, !phaseTimedOut {
                beginPhase(watchdogAfter: spec.timeout, reason: "collection timed out", seconds: spec.timeout)
                let context = CollectContext(startedAt: startedAt, deadline: clock.now + .seconds(spec.timeout))
                result = Result { try spec.collector.collect(context) }
            }
            let elapsed = clock.now - startInstant
            let seconds = elapsed.seconds
            let finishedAt = Date()

            let timedOut = state.withLock { s -> Bool in
                s.running = false
                s.lastDuration = seconds
                return s.timedOut
            }
            if timedOut {
                logger.warning("collection finished after its timeout; result discarded", metadata: ["duration_seconds": "\(seconds)"])
            } else {
                switch result {
                case .success(let families):
                    state.withLock { $0.lastSuccess = finishedAt.timeIntervalSince1970 }
                    record(up: true, error: nil, at: finishedAt)
                    emit(families: families, up: true, at: finishedAt)
                case .failure(let error):
                    logger.warning("collection failed", metadata: ["error": "\(error)"])
                    record(up: false, error: "\(error)", at: finishedAt)
                    emit(families: (error as? CollectionFailure)?.families ?? [], up: false, at: finishedAt)
                }
            }

            // Next tick on the grid; ticks that already passed are skipped and counted.
            next = next.addingTimeInterval(spec.interval)
            var skipped = 0.0
            let now = Date()
            while next <= now {
                next = next.addingTimeInterval(spec.interval)
                skipped += 1
            }
            if skipped > 0 {
                state.withLock { $0.skippedTotal += skipped }
                logger.notice("collection overran its interval; cycles skipped", metadata: ["skipped": "\(Int(skipped))"])
            }
        }
        spec.collector.close()
    }

    private var phaseTimedOut: Bool { state.withLock { $0.timedOut } }

    /// Starts a phase of the cycle (connecting, collecting) and arms its watchdog: when the
    /// phase is still running `watchdogAfter` seconds later, the target is published as down
    /// at that instant and whatever the phase returns later is discarded.
    private func beginPhase(watchdogAfter limit: Double, reason: String, seconds: Double) {
        let generation = state.withLock { s -> UInt64 in
            s.generation &+= 1
            s.running = true
            return s.generation
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit) { [self] in
            let fire = state.withLock { s -> Bool in
                guard s.running, s.generation == generation, !s.timedOut else { return false }
                s.timedOut = true
                s.lastDuration = seconds
                return true
            }
            if fire {
                logger.warning("\(reason)", metadata: ["timeout_seconds": "\(seconds)"])
                record(up: false, error: "\(reason) after \(PromDuration.format(seconds))", at: Date())
                emit(families: [], up: false, at: Date())
            }
        }
    }

    private func emit(families: [MetricFamily], up: Bool, at: Date) {
        // A runner told to stop (a reload replaced or removed it) publishes nothing more: a
        // late result must not bring back the series of a removed target or overwrite the
        // first one of its replacement.
        guard !stopRequested else { return }
        let extra = spec.extraLabels
        var out: [MetricFamily] = families.map { f in
            guard !extra.isEmpty else { return f }
            var f = f
            f.samples = f.samples.map { Sample($0.labels.prepending(extra), $0.value, suffix: $0.suffix) }
            return f
        }
        if let upName = spec.collector.upMetric {
            out.append(.gauge(upName, "Whether the last collection of the target succeeded (1) or not (0).",
                              value: up ? 1 : 0, labels: Labels(extra)))
        }
        out.append(contentsOf: selfMetrics(success: up))
        publish(spec.sourceKey, out, at)
    }

    private func selfMetrics(success: Bool) -> [MetricFamily] {
        let s = state.withLock { $0 }
        let labels: Labels = ["collector": spec.collector.kind, "target": spec.name]
        var families: [MetricFamily] = [
            .gauge("vigil_collector_duration_seconds", "Duration of the last collection cycle of a target.",
                   value: s.lastDuration, labels: labels),
            .gauge("vigil_collector_success", "Whether the last collection cycle of a target succeeded.",
                   value: success ? 1 : 0, labels: labels),
            .counter("vigil_collector_skipped_total", "Collection cycles skipped because the previous one overran its interval.",
                     [Sample(labels, s.skippedTotal)]),
        ]
        if let last = s.lastSuccess {
            families.append(.gauge("vigil_collector_last_success_timestamp_seconds",
                                   "Unix time of the last successful collection cycle of a target.",
                                   value: last, labels: labels))
        }
        return families
    }
}
