public import Foundation
public import Logging
public import VigilCore
import Synchronization

/// Routes, groups, mutes and delivers alerts: the pure dispatcher and notification log decide
/// what to send; every message is written to the durable outbox before its first attempt; one
/// delivery task per message sends it with retries, limited per integration so a slow or dead
/// receiver never delays the others.
///
/// Feed it with `receive(alerts:at:)`. After `start()`, a loop flushes due groups on time (a
/// group with `group_wait: 0s` is flushed by `receive` itself) and pending outbox entries from
/// a previous run are sent again with their original idempotency keys.
public final class Notifier: Sendable {
    public let config: NotifyConfig
    public let externalURL: String
    public let outbox: Outbox
    public let silences: SilenceStore
    public let metrics: NotifyMetrics

    private let transport: any HTTPTransport
    private let logger: Logger
    private let clock: @Sendable () -> Date
    private let random: @Sendable () -> Double
    private let policy: RetryPolicy
    private let inhibitor: Inhibitor
    private let logPath: String
    private let limiters: [String: AsyncSemaphore]

    struct State {
        var dispatcher: Dispatcher
        var log: NotificationLog
        var alerts: [Fingerprint: Alert] = [:]
        var deliveries: [String: Task<Void, Never>] = [:]
        /// One attempt at a time per integration + group, so an older notification of a group
        /// never lands after a newer one; with the number of deliveries using each gate (a gate
        /// goes when none does).
        var sendGates: [String: (gate: AsyncSemaphore, users: Int)] = [:]
        /// Outbox entries whose attempt is on the wire right now.
        var onTheWire: Set<String> = []
        var ticker: Task<Void, Never>?
        var started = false
        var stopped = false
    }

    private let state: Mutex<State>

    /// - Parameters:
    ///   - stateDirectory: holds `outbox/`, `silences.json` and `notification-log.json`.
    ///   - externalURL: Vigil's own URL, linked from messages and sent as `externalURL`.
    ///   - clock, random: injectable for tests.
    public init(
        config: NotifyConfig,
        stateDirectory: String,
        externalURL: String = "",
        transport: any HTTPTransport = CurlTransport(),
        logger: Logger = Logger(label: "vigil.notify"),
        clock: @escaping @Sendable () -> Date = { Date() },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) throws(StateFileError) {
        self.config = config
        self.externalURL = externalURL
        self.transport = transport
        self.logger = logger
        self.clock = clock
        self.random = random
        self.policy = RetryPolicy(settings: config.delivery)
        self.inhibitor = Inhibitor(rules: config.inhibitRules)
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        } catch {
            throw StateFileError(path: stateDirectory, message: "cannot create the state directory")
        }
        self.outbox = try Outbox(stateDirectory: stateDirectory)
        self.silences = try SilenceStore(stateDirectory: stateDirectory)
        self.metrics = NotifyMetrics()
        self.logPath = (stateDirectory as NSString).appendingPathComponent("notification-log.json")
        var log = NotificationLog()
        if let data = FileManager.default.contents(atPath: logPath) {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .millisecondsSince1970
            if let decoded = try? decoder.decode(NotificationLog.self, from: data) {
                log = decoded
            } else {
                logger.warning("notification log unreadable; starting empty (unchanged groups may be notified again)",
                               metadata: ["file": "\(logPath)"])
            }
        }
        var limiters: [String: AsyncSemaphore] = [:]
        for r in config.receivers {
            for i in r.integrations { limiters[Self.integrationID(r.name, i)] = AsyncSemaphore(limit: config.delivery.concurrency) }
        }
        self.limiters = limiters
        self.state = Mutex(State(dispatcher: Dispatcher(root: config.route), log: log))
        for name in outbox.corrupt {
            logger.error("unreadable outbox entry moved aside", metadata: ["file": "\(name)"])
        }
    }

    static func integrationID(_ receiver: String, _ i: Integration) -> String { "\(receiver)/\(i.kind.rawValue)/\(i.index)" }

    // MARK: lifecycle

    /// Re-sends what the outbox holds and starts the flush loop. Idempotent.
    public func start() {
        let pending = state.withLock { s -> [OutboxEntry] in
            guard !s.started, !s.stopped else { return [] }
            s.started = true
            s.ticker = Task { [self] in await self.runTicker() }
            return outbox.entries
        }
        // A previous run may have left several notifications of one group: the newest goes.
        for e in pending { _ = supersedeOlder(than: e) }
        let current = pending.filter { outbox.entry(id: $0.id) != nil }
        if !current.isEmpty {
            logger.info("re-sending notifications left in the outbox", metadata: ["count": "\(current.count)"])
        }
        for e in current { startDelivery(e.id) }
    }

    /// Stops the loop and every delivery task; undelivered entries stay in the outbox. Attempts
    /// already on the wire get up to `grace` seconds to finish (so a notification the receiver
    /// has taken is not sent again after a restart); then they are aborted too.
    public func shutdown(grace: Double = 2) async {
        let (waiting, sending, ticker) = state.withLock { s -> ([Task<Void, Never>], [Task<Void, Never>], Task<Void, Never>?) in
            s.stopped = true
            let sending = s.deliveries.filter { s.onTheWire.contains($0.key) }.map(\.value)
            let waiting = s.deliveries.filter { !s.onTheWire.contains($0.key) }.map(\.value)
            let ticker = s.ticker
            s.deliveries = [:]
            s.ticker = nil
            return (waiting, sending, ticker)
        }
        ticker?.cancel()
        for t in waiting { t.cancel() }
        let end = ContinuousClock.now + .milliseconds(Int64(max(0, min(grace, 60)) * 1000))
        while ContinuousClock.now < end, state.withLock({ !$0.onTheWire.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for t in sending { t.cancel() }
        for t in waiting + sending { await t.value }
        if let ticker { await ticker.value }
    }

    private func runTicker() async {
        while !Task.isCancelled {
            let now = clock()
            tick(at: now)
            let deadline = state.withLock { $0.dispatcher.nextDeadline }
            let wait = min(0.25, max(0.005, (deadline ?? now.addingTimeInterval(1)).timeIntervalSince(now)))
            try? await Task.sleep(for: .milliseconds(Int(wait * 1000)))
        }
    }

    // MARK: input

    /// New or updated alerts (the full current state of each alert; resolved ones carry a
    /// past `endsAt`). Groups due right away (`group_wait: 0s`) are flushed before returning
    /// when the notifier is started.
    public func receive(alerts: [Alert], at now: Date) {
        let started = state.withLock { s -> Bool in
            for a in alerts { s.alerts[a.fingerprint] = a }
            s.dispatcher.receive(alerts, at: now)
            return s.started && !s.stopped
        }
        if started { tick(at: now) }
    }

    /// The alerts currently known (firing, or resolved but not yet flushed).
    public var currentAlerts: [Alert] { state.withLock { Array($0.alerts.values) } }

    // MARK: flushing

    /// Flushes every group due at `now`: mutes silenced and inhibited alerts, asks the
    /// notification log whether each integration needs a message, writes each message to the
    /// outbox and (when started) starts its delivery. Returns the entries written.
    @discardableResult
    public func tick(at now: Date) -> [OutboxEntry] {
        let (created, started) = state.withLock { s -> ([OutboxEntry], Bool) in
            let flushes = s.dispatcher.flushDue(at: now)
            guard !flushes.isEmpty else { return ([], s.started && !s.stopped) }
            let active = Array(s.alerts.values)
            var out: [OutboxEntry] = []
            var logChanged = false
            for flush in flushes {
                out += process(flush, active: active, log: &s.log, logChanged: &logChanged, at: now)
            }
            // Resolved alerts were handed to their groups' flushes; inhibition needs firing ones only.
            let grouped = Set(s.dispatcher.groups.values.flatMap(\.alerts.keys))
            s.alerts = s.alerts.filter { $0.value.status(at: now) == .firing || grouped.contains($0.key) }
            if logChanged {
                s.log.prune(olderThan: 7 * 86400, at: now)
                saveLog(s.log)
            }
            return (out, s.started && !s.stopped)
        }
        if started { for e in created { startDelivery(e.id) } }
        return created
    }

    private func process(_ flush: GroupFlush, active: [Alert], log: inout NotificationLog, logChanged: inout Bool, at now: Date) -> [OutboxEntry] {
        guard let receiver = config.receiver(named: flush.receiver) else { return [] }
        var silenced = 0, inhibited = 0
        let alerts = flush.alerts.filter { a in
            if silences.isSilenced(a.labels, at: now) { silenced += 1; return false }
            if inhibitor.isInhibited(a, by: active, at: now) { inhibited += 1; return false }
            return true
        }
        metrics.muted("silenced", count: silenced)
        metrics.muted("inhibited", count: inhibited)
        // Everything muted: nothing to say (Alertmanager stops the pipeline here too).
        guard !alerts.isEmpty else { return [] }
        let firing = Set(alerts.filter { $0.status(at: now) == .firing }.map(\.fingerprint))
        let resolved = Set(alerts.filter { $0.status(at: now) == .resolved }.map(\.fingerprint))
        var out: [OutboxEntry] = []
        for integration in receiver.integrations {
            let id = Self.integrationID(receiver.name, integration)
            let needed: Bool
            if integration.kind == .alertmanager {
                // Like Prometheus: re-send the current state every interval so the Alertmanager
                // keeps the alerts alive; resolutions go once.
                needed = true
            } else {
                needed = log.needsUpdate(integration: id, groupKey: flush.groupKey, firing: firing, resolved: resolved,
                                         sendResolved: integration.sendResolved, repeatInterval: flush.repeatInterval, at: now)
            }
            guard needed else { continue }
            let toSend = integration.sendResolved ? alerts : alerts.filter { firing.contains($0.fingerprint) }
            if !toSend.isEmpty {
                let content = NotificationContent(groupKey: flush.groupKey, receiver: receiver.name, groupLabels: flush.groupLabels,
                                                  alerts: toSend, externalURL: externalURL, at: now, maxAlerts: integration.maxAlerts)
                let body: Data
                do {
                    body = try PayloadBuilder.body(for: integration, content: content, validFor: 4 * max(60, flush.groupInterval))
                } catch {
                    logger.error("cannot encode notification", metadata: ["receiver": "\(receiver.name)", "integration": "\(integration.kind.rawValue)"])
                    continue
                }
                let uuid = UUID().uuidString.lowercased()
                let entry = OutboxEntry(
                    id: "\(Int64(now.timeIntervalSince1970 * 1000))-\(uuid)", receiver: receiver.name, integration: id, payload: body,
                    headers: [HTTPHeader("Content-Type", "application/json")], idempotencyKey: uuid, groupKey: flush.groupKey, createdAt: now)
                do {
                    try outbox.put(entry)
                } catch {
                    // Not recorded in the log: the next flush of this group tries again.
                    metrics.outboxWriteFailed()
                    logger.error("cannot write notification to the outbox", metadata: ["receiver": "\(receiver.name)", "error": "\(error)"])
                    continue
                }
                out.append(entry)
                _ = supersedeOlder(than: entry)
            }
            if integration.kind != .alertmanager {
                log.record(integration: id, groupKey: flush.groupKey, firing: firing, resolved: resolved, at: now)
                logChanged = true
            }
        }
        return out
    }

    private func saveLog(_ log: NotificationLog) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        do {
            try DurableFile.write(try encoder.encode(log), to: logPath)
        } catch {
            logger.warning("cannot save the notification log", metadata: ["error": "\(error)"])
        }
    }

    // MARK: delivery

    /// Removes the pending entries that `entry` supersedes (older, same integration and group:
    /// the latest state wins, as in Alertmanager) and counts them. True when any was removed.
    private func supersedeOlder(than entry: OutboxEntry) -> Bool {
        let stale = outbox.superseded(by: entry)
        for old in stale {
            do { try outbox.remove(id: old.id) } catch {
                logger.error("cannot remove a superseded outbox entry", metadata: ["error": "\(error)"])
                continue
            }
            metrics.superseded(Self.target(of: old))
            logger.info("undelivered notification superseded by a newer one of its group",
                        metadata: ["receiver": "\(old.receiver)", "group": "\(old.groupKey)", "attempts": "\(old.attempts)"])
        }
        return !stale.isEmpty
    }

    private static func target(of entry: OutboxEntry) -> NotifyMetrics.Target {
        let kind = entry.integration.split(separator: "/").dropFirst().first.map(String.init) ?? "unknown"
        return NotifyMetrics.Target(receiver: entry.receiver, integration: kind)
    }

    private static func sendKey(_ entry: OutboxEntry) -> String { entry.integration + "\n" + entry.groupKey }

    /// Waits until no other attempt for the entry's integration and group is on the wire and
    /// claims the slot. False when the task is cancelled or the entry was superseded meanwhile
    /// (no slot is then held).
    private func claimSendSlot(_ entry: OutboxEntry) async -> Bool {
        let key = Self.sendKey(entry)
        let gate = state.withLock { s -> AsyncSemaphore in
            let current = s.sendGates[key] ?? (AsyncSemaphore(limit: 1), 0)
            s.sendGates[key] = (current.gate, current.users + 1)
            return current.gate
        }
        if await gate.acquire() {
            if outbox.entry(id: entry.id) != nil { return true }
            gate.release()
        }
        leaveSendGate(key)
        return false
    }

    private func releaseSendSlot(_ entry: OutboxEntry) {
        let key = Self.sendKey(entry)
        state.withLock { $0.sendGates[key]?.gate }?.release()
        leaveSendGate(key)
    }

    private func leaveSendGate(_ key: String) {
        state.withLock { s in
            guard let current = s.sendGates[key] else { return }
            if current.users <= 1 { s.sendGates[key] = nil } else { s.sendGates[key] = (current.gate, current.users - 1) }
        }
    }

    private func integration(for entry: OutboxEntry) -> Integration? {
        guard let r = config.receiver(named: entry.receiver) else { return nil }
        return r.integrations.first { Self.integrationID(r.name, $0) == entry.integration }
    }

    private func startDelivery(_ id: String) {
        state.withLock { s in
            guard !s.stopped, s.deliveries[id] == nil else { return }
            s.deliveries[id] = Task { [self] in
                await self.deliver(id)
                _ = self.state.withLock { $0.deliveries.removeValue(forKey: id) }
            }
        }
    }

    /// Sends one outbox entry until it is delivered, given up, or the task is cancelled.
    private func deliver(_ id: String) async {
        while !Task.isCancelled, !state.withLock({ $0.stopped }), var entry = outbox.entry(id: id) {
            let target = Self.target(of: entry)
            let kind = target.integration
            guard let integration = integration(for: entry), let limiter = limiters[entry.integration] else {
                giveUp(entry, target: target, reason: "unknown_integration", detail: "integration no longer configured", host: "-")
                return
            }
            let wait = entry.nextAttemptAt.timeIntervalSince(clock())
            if wait > 0 {
                do { try await Task.sleep(for: .milliseconds(Int((wait * 1000).rounded(.up)))) } catch { return }
            }
            guard await claimSendSlot(entry) else { return }
            guard await limiter.acquire() else {
                releaseSendSlot(entry)
                return
            }
            let request = Self.request(for: entry, integration: integration)
            state.withLock { _ = $0.onTheWire.insert(id) }
            let result = await transport.send(request)
            state.withLock { _ = $0.onTheWire.remove(id) }
            limiter.release()
            releaseSendSlot(entry)

            entry.attempts += 1
            let now = clock()
            let status: Int?
            let retryAfter: String?
            switch result {
            case .response(let code, let headers):
                status = code
                retryAfter = headers["retry-after"]
                entry.lastError = (200..<300).contains(code) ? nil : "HTTP \(code)"
            case .failure(let text):
                status = nil
                retryAfter = nil
                entry.lastError = text
            }
            let decision = policy.decide(status: status, retryAfter: retryAfter, attempts: entry.attempts,
                                         createdAt: entry.createdAt, now: now, jitter: random())
            let meta: Logger.Metadata = ["receiver": "\(entry.receiver)", "integration": "\(kind)",
                                         "host": "\(integration.redactedHost)", "attempt": "\(entry.attempts)"]
            switch decision {
            case .delivered:
                do { try outbox.remove(id: id) } catch {
                    logger.error("delivered notification could not be removed from the outbox", metadata: meta.merging(["error": "\(error)"]) { a, _ in a })
                }
                metrics.delivered(target, latency: max(0, now.timeIntervalSince(entry.createdAt)))
                do { try outbox.recordDelivery(receiver: entry.receiver, at: now) } catch {
                    metrics.outboxWriteFailed()
                    logger.error("the delivery could not be recorded; the status page's last delivery may be older after a restart",
                                 metadata: meta.merging(["error": "\(error)"]) { a, _ in a })
                }
                logger.debug("notification delivered", metadata: meta)
                return
            case .retry(let at):
                entry.nextAttemptAt = at
                metrics.retried(target)
                logger.warning("notification attempt failed; will retry", metadata: meta.merging(
                    ["error": "\(entry.lastError ?? "-")", "retry_in": "\(PromDuration.format(at.timeIntervalSince(now)))"]) { a, _ in a })
                do {
                    // Superseded while this attempt was on the wire: the newer one goes instead.
                    guard try outbox.update(entry) else { return }
                } catch {
                    logger.error("cannot update outbox entry", metadata: ["error": "\(error)"])
                }
            case .giveUp(let reason):
                giveUp(entry, target: target, reason: Self.giveUpLabel(reason: reason, status: status), detail: reason,
                       host: integration.redactedHost)
                return
            }
        }
    }

    /// The `reason` label of a give-up the retry policy decided. Pure.
    static func giveUpLabel(reason: String, status: Int?) -> String {
        if reason.contains("max_age") { return "max_age" }
        if let status, (300..<400).contains(status) { return "http_3xx" }
        return "http_4xx"
    }

    private func giveUp(_ entry: OutboxEntry, target: NotifyMetrics.Target, reason: String, detail: String, host: String) {
        metrics.gaveUp(target, reason: reason)
        logger.error("notification given up", metadata: [
            "receiver": "\(entry.receiver)", "integration": "\(target.integration)", "host": "\(host)",
            "attempts": "\(entry.attempts)", "reason": "\(detail)", "group": "\(entry.groupKey)",
        ])
        do { try outbox.remove(id: entry.id) } catch {
            logger.error("cannot remove outbox entry", metadata: ["error": "\(error)"])
        }
    }

    /// The HTTP request for one attempt: headers from the entry and the integration's
    /// settings, the idempotency key, auth, and the optional body signature.
    static func request(for entry: OutboxEntry, integration: Integration) -> OutgoingRequest {
        var headers = entry.headers
        headers.append(HTTPHeader("User-Agent", "Vigil"))
        headers.append(HTTPHeader(NotifyDelivery.idempotencyHeader, entry.idempotencyKey))
        headers += integration.http.headers
        switch integration.http.authorization {
        case .none: break
        case .bearer(let token): headers.append(HTTPHeader("Authorization", "Bearer \(token)"))
        case .basic(let user, let password):
            headers.append(HTTPHeader("Authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()))
        }
        if let secret = integration.http.signatureSecret {
            let mac = SHA256.hmac(key: Array(secret.utf8), message: Array(entry.payload))
            headers.append(HTTPHeader(integration.http.signatureHeader, "sha256=" + SHA256.hex(mac)))
        }
        return OutgoingRequest(url: PayloadBuilder.endpoint(for: integration), headers: headers, body: entry.payload, timeout: integration.http.timeout,
                               poolKey: entry.integration, tls: integration.http.tls, proxyURL: integration.http.proxyURL)
    }

    /// Self-metrics at `now`.
    public func metricFamilies(at now: Date) -> [MetricFamily] {
        metrics.families(outboxCount: outbox.count, oldest: outbox.oldestCreatedAt, at: now)
    }
}
