import Foundation
public import Logging
import Synchronization
import TLSStream
public import VigilCore

/// Collects one Redis server: redis_exporter's families from one persistent connection, plus
/// key-pattern counts and BullMQ queues on a slower, budgeted SCAN cadence.
///
/// Runs only on its target's thread (the Scheduler calls `collect` there). Every call to Redis
/// is bounded by the options' timeouts and by the cycle's deadline. When Redis cannot be
/// reached `collect` throws, so the Scheduler publishes `redis_up 0` and drops old values;
/// reconnects back off exponentially.
public final class RedisCollector: Collector {
    public let kind = "redis"
    public let upMetric: String? = "redis_up"

    private let options: RedisCollectorOptions
    private let endpoint: RedisEndpoint
    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        var connection: HiredisConnection?
        var backoff: ReconnectBackoff
        var lastConnectSeconds = 0.0
        var scrapes = 0.0
        var scrapeDurationSum = 0.0
        var scrapeDurationCount = 0.0
        var lastError: String?
        /// Failures of optional commands (CONFIG, LATENCY, SLOWLOG, SCAN …) by command.
        var commandFailures: [String: Double] = [:]
        var loggedFailures: Set<String> = []
        /// Optional commands the server does not know (e.g. LATENCY HISTOGRAM before Redis 7):
        /// not sent again on this collector.
        var unsupported: Set<String> = []
        var planner: KeyScanPlanner
        /// Job index → what the job is for.
        var purposes: [ScanPurpose]
        /// BullMQ queue names collected during a discovery pass in progress, per job.
        var discovering: [Int: Set<String>] = [:]
        /// Queues found by the last complete discovery pass, per job.
        var queues: [Int: Set<String>] = [:]
        var queuesIgnored = 0.0
        /// Key names matched by a `check_streams`/`check_keys` pass in progress, and by the last complete one, per job.
        var matching: [Int: Set<String>] = [:]
        var matched: [Int: Set<String>] = [:]
    }

    enum ScanPurpose: Sendable {
        case count(RedisKeyPattern)
        case bullmq(db: Int, prefix: String)
        /// `check_streams` / `check_keys` patterns: the pass collects the names it meets.
        case streams(db: Int, pattern: String)
        case keys(db: Int, pattern: String)
    }

    /// Validates the options (the URL) and prepares the collector; it connects on the first cycle.
    public init(options: RedisCollectorOptions, logger: Logger) throws {
        var endpoint = try RedisEndpoint.parse(options.url)
        if let user = options.username { endpoint.username = user }
        self.options = options
        self.endpoint = endpoint
        self.logger = logger

        var jobs: [KeyScanPlanner.Job] = []
        var purposes: [ScanPurpose] = []
        for p in options.keyPatterns {
            jobs.append(.init(db: p.db, match: p.pattern))
            purposes.append(.count(p))
        }
        for a in options.checkStreams where KeyChecks.isPattern(a.key) {
            jobs.append(.init(db: a.db, match: a.key))
            purposes.append(.streams(db: a.db, pattern: a.key))
        }
        for a in options.checkKeys where KeyChecks.isPattern(a.key) {
            jobs.append(.init(db: a.db, match: a.key))
            purposes.append(.keys(db: a.db, pattern: a.key))
        }
        if options.bullmq.enabled {
            for db in options.bullmq.databases ?? [endpoint.database] {
                for prefix in options.bullmq.prefixes {
                    jobs.append(.init(db: db, match: BullMQ.discoveryPattern(prefix: prefix)))
                    purposes.append(.bullmq(db: db, prefix: prefix))
                }
            }
        }
        let planner = KeyScanPlanner(jobs: jobs, interval: options.scanInterval, keysPerSecond: options.scanKeysPerSecond,
                                     count: options.scanCount, now: Monotonic.now)
        state = Mutex(State(backoff: ReconnectBackoff(initial: options.reconnectBackoffInitial, maximum: options.reconnectBackoffMax),
                            planner: planner, purposes: purposes))
    }

    public func close() {
        state.withLock { s in
            s.connection?.close()
            s.connection = nil
        }
    }

    public func collect(_ context: CollectContext) throws -> [MetricFamily] {
        try state.withLock { s throws -> [MetricFamily] in
            let start = ContinuousClock.now
            s.scrapes += 1
            do {
                let families = try scrape(&s, context, start: start)
                s.lastError = nil
                return families
            } catch let e as RedisConnectionError {
                throw connectionFailed(&s, e)
            }
        }
    }

    public var connectTimeout: Double { options.connectTimeout }

    public func connect(deadline: ContinuousClock.Instant) throws {
        try state.withLock { s throws in
            do {
                _ = try connect(&s, deadline: deadline)
            } catch let e as RedisConnectionError {
                throw connectionFailed(&s, e)
            }
        }
    }

    /// Drops the broken connection and backs off; the error to throw.
    private func connectionFailed(_ s: inout State, _ e: RedisConnectionError) -> CollectorError {
        s.connection?.close()
        s.connection = nil
        s.backoff.failed(at: Monotonic.now)
        s.planner.resetPasses(now: Monotonic.now)
        s.lastError = e.message
        return CollectorError(e.message)
    }

    // MARK: - One cycle

    private func connect(_ s: inout State, deadline: ContinuousClock.Instant) throws -> HiredisConnection {
        if let c = s.connection, c.isConnected {
            c.deadline = deadline
            return c
        }
        let now = Monotonic.now
        guard s.backoff.mayAttempt(at: now) else {
            let wait = String(format: "%.1f", s.backoff.wait(at: now))
            throw CollectorError("\(endpoint.redactedDescription) unreachable (\(s.backoff.failures) failed attempts, next in \(wait)s): \(s.lastError ?? "unknown error")")
        }
        var password = options.password ?? endpoint.password
        if let file = options.passwordFile {
            do {
                password = try Self.readPassword(file)
            } catch {
                s.backoff.failed(at: now)
                s.lastError = "cannot read the password file \(file)"
                throw CollectorError("cannot read the Redis password file \(file)")
            }
        }
        let started = ContinuousClock.now
        let c = try HiredisConnection(.init(endpoint: endpoint, password: password, connectTimeout: options.connectTimeout,
                                            commandTimeout: options.commandTimeout, clientName: options.clientName,
                                            tls: options.tls),
                                      deadline: deadline)
        s.lastConnectSeconds = (ContinuousClock.now - started).seconds
        s.backoff.succeeded()
        for w in c.setupWarnings { noteFailure(&s, command: "CLIENT SETNAME", message: w) }
        logger.info("connected to Redis", metadata: ["redis": "\(endpoint.redactedDescription)"])
        s.connection = c
        return c
    }

    private func scrape(_ s: inout State, _ context: CollectContext, start: ContinuousClock.Instant) throws -> [MetricFamily] {
        let c = try connect(&s, deadline: context.deadline)
        var b = FamilyBuilder(namespace: "redis")

        // PING round trip: the seed's health check and redis_exporter's ping time.
        let pingStart = ContinuousClock.now
        let pong = try c.command(["PING"])
        if let e = pong.errorMessage {
            noteFailure(&s, command: "PING", message: e)
        } else {
            b.gauge("exporter_last_scrape_ping_time_seconds", (ContinuousClock.now - pingStart).seconds,
                    help: "Round-trip time of PING at the start of the last collection, in seconds.")
        }

        var databases = 16
        if options.configCommand != "-" {
            let reply = try c.command([options.configCommand, "GET", "*"])
            if let e = reply.errorMessage {
                noteFailure(&s, command: "CONFIG GET", message: e)
            } else if let n = CommandFamilies.config(reply, allSettings: options.includeConfigMetrics, to: &b), n > 0 {
                databases = n
            }
        }

        var infoReply = try c.command(["INFO", "ALL"])
        if infoReply.errorMessage != nil || infoReply.text?.isEmpty != false {
            infoReply = try c.command(["INFO"])
        }
        if let e = infoReply.errorMessage {
            throw CollectorError("INFO refused by \(endpoint.redactedDescription): \(e)")
        }
        guard let infoText = infoReply.text else {
            throw CollectorError("INFO on \(endpoint.redactedDescription) returned no text")
        }
        let info = RedisInfo(parsing: infoText)
        if info["cluster_enabled"] == "1" {
            // Cluster mode has one database; CLUSTER INFO adds the cluster_* families.
            databases = 1
            let reply = try c.command(["CLUSTER", "INFO"])
            if let e = reply.errorMessage {
                noteFailure(&s, command: "CLUSTER INFO", message: e)
            } else if let text = reply.text {
                InfoFamilies.addClusterInfo(text, to: &b)
            }
        }
        InfoFamilies.add(info, to: &b, databases: databases, includeEmptyDatabases: options.includeEmptyDatabases,
                         now: Date().timeIntervalSince1970)

        // LATENCY and SLOWLOG in one round trip; managed Redis may refuse any of them.
        var extras: [[String]] = [["LATENCY", "LATEST"], ["SLOWLOG", "LEN"], ["SLOWLOG", "GET", "1"]]
        let histograms = options.latencyHistograms && !s.unsupported.contains("LATENCY HISTOGRAM")
        if histograms { extras.append(["LATENCY", "HISTOGRAM"]) }
        let replies = try c.pipeline(extras)
        for (cmd, reply) in zip(extras, replies) {
            if let e = reply.errorMessage {
                let name = cmd.prefix(2).joined(separator: " ")
                noteFailure(&s, command: name, message: e)
                if name == "LATENCY HISTOGRAM", e.lowercased().contains("unknown subcommand") {
                    s.unsupported.insert(name)
                }
            }
        }
        if replies.count == extras.count {
            if replies[0].errorMessage == nil { CommandFamilies.latencyLatest(replies[0], to: &b) }
            CommandFamilies.slowlog(length: replies[1].errorMessage == nil ? replies[1] : nil,
                                    last: replies[2].errorMessage == nil ? replies[2] : nil, to: &b)
            if histograms, replies[3].errorMessage == nil {
                var usec: [String: Double] = [:]
                for f in info.fields where f.section == "Commandstats" {
                    if let cs = InfoFamilies.commandStat(f.key, f.value) { usec[cs.cmd] = cs.usec }
                }
                CommandFamilies.latencyHistogram(replies[3], usecByCommand: usec, to: &b)
            }
        }

        try scan(&s, c, context)
        addKeyCounts(s, to: &b)
        try addBullMQ(&s, c, to: &b)
        try addStreams(&s, c, to: &b)
        try addKeyChecks(&s, c, to: &b)
        if options.exportClientList || options.clientsByName {
            let reply = try c.command(["CLIENT", "LIST"])
            if let e = reply.errorMessage {
                noteFailure(&s, command: "CLIENT LIST", message: e)
            } else if let text = reply.text {
                ClientList.add(ClientList.parse(text), details: options.exportClientList, byName: options.clientsByName,
                               maxNames: options.maxClientNames, now: Date().timeIntervalSince1970, to: &b)
            }
        }

        // Self-metrics with redis_exporter's names.
        let duration = (ContinuousClock.now - start).seconds
        s.scrapeDurationSum += duration
        s.scrapeDurationCount += 1
        b.gauge("exporter_last_scrape_connect_time_seconds", s.lastConnectSeconds,
                help: "Time the last (re)connect to Redis took, in seconds (the connection is kept between collections).")
        b.gauge("exporter_last_scrape_duration_seconds", duration, help: "Duration of the last collection, in seconds.")
        b.gauge("exporter_last_scrape_error", 0, ["err": ""],
                help: "The last scrape error status (the error text is logged, never a label).")
        b.counter("exporter_scrapes_total", s.scrapes, help: "Current total redis scrapes.")
        b.add("redis_exporter_scrape_duration_seconds", .summary, s.scrapeDurationSum, suffix: "_sum", help: "Durations of scrapes by the exporter")
        b.add("redis_exporter_scrape_duration_seconds", .summary, s.scrapeDurationCount, suffix: "_count", help: "Durations of scrapes by the exporter")
        b.counter("target_scrape_request_errors_total", 0,
                  help: "Errors in requests to the exporter (Vigil has no multi-target /scrape endpoint: always 0).")
        b.gauge("last_key_groups_scrape_duration_milliseconds", 0,
                help: "Duration of the last key group metrics scrape in milliseconds (key groups are not collected by Vigil: 0).")
        b.gauge("exporter_build_info", 1, ["version": options.buildVersion, "commit_sha": "", "build_date": "", "golang_version": ""],
                help: "redis exporter build_info (Vigil's version; Vigil is not written in Go).")
        for (cmd, n) in s.commandFailures.sorted(by: { $0.key < $1.key }) {
            b.add("vigil_redis_command_failures_total", .counter, n, ["command": cmd],
                  help: "Optional Redis commands refused by the server (managed Redis may disable CONFIG, LATENCY, SLOWLOG …).")
        }
        return b.families
    }

    // MARK: - Key patterns and BullMQ

    private func scan(_ s: inout State, _ c: HiredisConnection, _ context: CollectContext) throws {
        guard !s.purposes.isEmpty else { return }
        let budget = min(options.scanTimePerCycle, context.remaining * 0.5)
        let stopAt = Monotonic.now + budget
        while Monotonic.now < stopAt, let step = s.planner.nextStep(now: Monotonic.now) {
            if let e = try c.selectIfPossible(step.db) {
                // A database that does not exist is a configuration problem of this pattern only.
                noteFailure(&s, command: "SELECT", message: e)
                s.planner.fail(step, now: Monotonic.now)
                continue
            }
            let reply = try c.command(["SCAN", step.cursor, "MATCH", step.match, "COUNT", String(step.count)])
            guard let parts = reply.array, parts.count == 2, let next = parts[0].text, let keys = parts[1].array else {
                noteFailure(&s, command: "SCAN", message: reply.errorMessage ?? "unexpected SCAN reply")
                s.planner.fail(step, now: Monotonic.now)
                break
            }
            if case .bullmq(_, let prefix) = s.purposes[step.job] {
                var found = s.discovering[step.job] ?? []
                // Memory stays bounded whatever the keyspace holds: names past the cap are not kept.
                let cap = max(1, options.bullmq.maxQueues) * 2
                for case .string(let k) in keys where found.count < cap {
                    if let name = BullMQ.queueName(metaKey: k, prefix: prefix) { found.insert(name) }
                }
                s.discovering[step.job] = found
            }
            let cap: Int? = switch s.purposes[step.job] {
            case .streams: options.maxStreams + 1
            case .keys: options.maxCheckedKeys + 1
            default: nil
            }
            if let cap {
                // Names past the cap are not kept; the planner's count of the pass says how many there were.
                var found = step.cursor == "0" ? [] : s.matching[step.job] ?? []
                for case .string(let k) in keys where found.count < cap { found.insert(String(decoding: k, as: UTF8.self)) }
                s.matching[step.job] = found
            }
            if s.planner.finish(step, nextCursor: next, matched: keys.count, now: Monotonic.now) {
                switch s.purposes[step.job] {
                case .bullmq:
                    s.queues[step.job] = s.discovering[step.job] ?? []
                    s.discovering[step.job] = nil
                case .streams, .keys:
                    s.matched[step.job] = s.matching[step.job] ?? []
                    s.matching[step.job] = nil
                case .count:
                    break
                }
            }
        }
    }

    private func addKeyCounts(_ s: State, to b: inout FamilyBuilder) {
        let now = Monotonic.now
        for (i, job) in s.planner.jobs.enumerated() {
            guard case .count(let p) = s.purposes[i], let n = job.lastCount, let at = job.lastCompletedAt else { continue }
            let labels: Labels = ["db": "db\(p.db)", "key": p.pattern]
            b.gauge("keys_count", Double(n), labels, help: "Count of keys")
            b.gauge("keys_count_last_pass_age_seconds", now - at, labels,
                    help: "Seconds since the last complete SCAN pass that produced redis_keys_count.")
            if let d = job.lastPassDuration {
                b.gauge("keys_count_last_pass_duration_seconds", d, labels,
                        help: "Wall time of the last complete SCAN pass for the pattern (spread over collection cycles).")
            }
        }
    }

    private func addBullMQ(_ s: inout State, _ c: HiredisConnection, to b: inout FamilyBuilder) throws {
        var all: [BullMQ.Queue] = []
        for (i, names) in s.queues {
            guard case .bullmq(let db, let prefix) = s.purposes[i] else { continue }
            all += names.map { BullMQ.Queue(db: db, prefix: prefix, name: $0) }
        }
        all.sort()
        s.queuesIgnored = Double(max(0, all.count - options.bullmq.maxQueues))
        let queues = all.prefix(max(0, options.bullmq.maxQueues))
        let nowUnix = Date().timeIntervalSince1970
        for db in Set(queues.map(\.db)).sorted() {
            let inDB = queues.filter { $0.db == db }
            if let e = try c.selectIfPossible(db) {
                noteFailure(&s, command: "SELECT", message: e)
                continue
            }
            // Chunks of 50 queues per round trip keep replies small and each call bounded.
            var start = inDB.startIndex
            while start < inDB.endIndex {
                let chunk = Array(inDB[start..<min(start + 50, inDB.endIndex)])
                start += chunk.count
                let replies = try c.pipeline(chunk.flatMap(BullMQ.countCommands))
                var counts: [(BullMQ.Queue, BullMQ.Counts)] = []
                for (k, q) in chunk.enumerated() {
                    let lo = k * BullMQ.commandsPerQueue
                    guard let cs = BullMQ.counts(replies[lo..<min(lo + BullMQ.commandsPerQueue, replies.count)]) else {
                        noteFailure(&s, command: "BULLMQ", message: "keys of queue \(q.prefix):\(q.name) do not have BullMQ 5's types")
                        continue
                    }
                    counts.append((q, cs))
                }
                let tsCommands = counts.flatMap { q, cs in cs.oldestIDs.map { ["HGET", q.key($0), "timestamp"] } }
                let ts = try c.pipeline(tsCommands)
                var offset = 0
                for (q, cs) in counts {
                    let n = cs.oldestIDs.count
                    let age = BullMQ.oldestAge(timestamps: Array(ts[min(offset, ts.count)..<min(offset + n, ts.count)]), now: nowUnix)
                    offset += n
                    BullMQ.add(q, cs, oldestAge: age, to: &b)
                }
            }
        }
        if options.bullmq.enabled {
            b.add("bullmq_queues_ignored", .gauge, s.queuesIgnored,
                  help: "BullMQ queues discovered beyond bullmq.max_queues and therefore not counted.")
        }
    }

    // MARK: - Streams, key checks

    /// The names to check: single ones first, then those the last complete passes matched
    /// (sorted), then `extra`; duplicates dropped, at most `limit`. Also returns how many were left out.
    private func checkList(_ s: State, singles: [RedisKeyArgument], patterns: [RedisKeyArgument], keys: Bool,
                           extra: [RedisKeyArgument], limit: Int) -> ([RedisKeyArgument], Int) {
        var all = singles + patterns.filter { !KeyChecks.isPattern($0.key) }
        var scanned: [RedisKeyArgument] = []
        // Names a pass matched beyond what was kept.
        var notKept = 0
        for (i, names) in s.matched {
            let db: Int
            switch s.purposes[i] {
            case .streams(let d, _) where !keys: db = d
            case .keys(let d, _) where keys: db = d
            default: continue
            }
            scanned += names.map { RedisKeyArgument(db: db, key: $0) }
            notKept += max(0, (s.planner.jobs[i].lastCount ?? 0) - names.count)
        }
        all += scanned.sorted { ($0.db, $0.key) < ($1.db, $1.key) } + extra
        var seen: Set<RedisKeyArgument> = []
        let unique = all.filter { seen.insert($0).inserted }
        return (Array(unique.prefix(limit)), max(0, unique.count - limit) + notKept)
    }

    /// The events streams of the BullMQ queues being counted.
    private func bullmqEventStreams(_ s: State) -> [RedisKeyArgument] {
        guard options.bullmq.enabled, options.bullmq.eventsStreams else { return [] }
        var all: [BullMQ.Queue] = []
        for (i, names) in s.queues {
            guard case .bullmq(let db, let prefix) = s.purposes[i] else { continue }
            all += names.map { BullMQ.Queue(db: db, prefix: prefix, name: $0) }
        }
        return all.sorted().prefix(max(0, options.bullmq.maxQueues)).map { RedisKeyArgument(db: $0.db, key: $0.key("events")) }
    }

    /// Groups and consumers exported per stream at most (the rest are left out).
    static let maxGroupsPerStream = 100
    static let maxConsumersPerGroup = 200

    private func addStreams(_ s: inout State, _ c: HiredisConnection, to b: inout FamilyBuilder) throws {
        let (list, ignored) = checkList(s, singles: options.checkSingleStreams, patterns: options.checkStreams, keys: false,
                                        extra: bullmqEventStreams(s), limit: options.maxStreams)
        if !options.checkStreams.isEmpty || !options.checkSingleStreams.isEmpty || !bullmqEventStreams(s).isEmpty {
            b.add("vigil_redis_streams_ignored", .gauge, Double(ignored),
                  help: "Streams left out of redis_stream_* because there were more than max_streams.")
        }
        try forEachChunk(of: list, size: 50, &s, c) { s, db, chunk in
            let replies = try c.pipeline(chunk.flatMap { [["XINFO", "STREAM", $0], ["XINFO", "GROUPS", $0]] })
            var found: [(String, Streams.Stream, [Streams.Group])] = []
            for (k, key) in chunk.enumerated() where 2 * k + 1 < replies.count {
                let info = replies[2 * k]
                if let e = info.errorMessage {
                    // A BullMQ queue without events yet, or a matched key of another type: nothing to report.
                    if !e.hasPrefix("WRONGTYPE") && !e.lowercased().contains("no such key") {
                        noteFailure(&s, command: "XINFO", message: e)
                    }
                    continue
                }
                guard let stream = Streams.stream(info) else { continue }
                found.append((key, stream, Array(Streams.groups(replies[2 * k + 1]).prefix(Self.maxGroupsPerStream))))
            }
            let consumerCommands = found.flatMap { key, _, groups in groups.map { ["XINFO", "CONSUMERS", key, $0.name] } }
            let consumerReplies = try c.pipeline(consumerCommands)
            var next = 0
            for (key, stream, groups) in found {
                var withConsumers: [(Streams.Group, [Streams.Consumer])] = []
                for g in groups {
                    let reply = next < consumerReplies.count ? consumerReplies[next] : .null
                    next += 1
                    withConsumers.append((g, Array(Streams.consumers(reply).prefix(Self.maxConsumersPerGroup))))
                }
                Streams.add(db: db, key: key, stream, groups: withConsumers, to: &b)
            }
        }
    }

    private func addKeyChecks(_ s: inout State, _ c: HiredisConnection, to b: inout FamilyBuilder) throws {
        guard !options.checkKeys.isEmpty || !options.checkSingleKeys.isEmpty else { return }
        let (list, ignored) = checkList(s, singles: options.checkSingleKeys, patterns: options.checkKeys, keys: true,
                                        extra: [], limit: options.maxCheckedKeys)
        b.add("vigil_redis_checked_keys_ignored", .gauge, Double(ignored),
              help: "Keys left out of redis_key_size/redis_key_value because there were more than max_checked_keys.")
        try forEachChunk(of: list, size: 100, &s, c) { s, db, chunk in
            let types = try c.pipeline(chunk.map { ["TYPE", $0] }).map { $0.text ?? "" }
            let plans = zip(chunk, types).map { key, type in (key, type, KeyChecks.sizeCommands(key: key, type: type)) }
            let replies = try c.pipeline(plans.flatMap(\.2))
            var offset = 0
            var results: [(String, String, [RedisReply])] = []
            for (key, type, commands) in plans {
                let end = min(offset + commands.count, replies.count)
                results.append((key, type, Array(replies[min(offset, end)..<end])))
                offset += commands.count
            }
            // A HyperLogLog is a string whose size redis_exporter reports as PFCOUNT's estimate.
            let hll = results.filter { $0.1 == "string" && $0.2.count > 1 && { if case .string(let v) = $0.2[1] { return KeyChecks.isHyperLogLog(v) }; return false }($0) }.map(\.0)
            let counts = Dictionary(zip(hll, try c.pipeline(hll.map { ["PFCOUNT", $0] })), uniquingKeysWith: { a, _ in a })
            for (key, type, r) in results {
                guard let result = KeyChecks.result(type: type, r, pfcount: counts[key]) else { continue }
                KeyChecks.add(db: db, key: key, result, stringValues: options.checkKeysStringValues, to: &b)
            }
        }
    }

    // MARK: - Helpers

    /// Runs `body` on the keys of `list` database by database (SELECTed once each; a refused
    /// SELECT is noted and its keys skipped), in pipelines of at most `size` keys.
    private func forEachChunk(of list: [RedisKeyArgument], size: Int, _ s: inout State, _ c: HiredisConnection,
                              _ body: (inout State, Int, [String]) throws -> Void) throws {
        for db in Set(list.map(\.db)).sorted() {
            if let e = try c.selectIfPossible(db) {
                noteFailure(&s, command: "SELECT", message: e)
                continue
            }
            let inDB = list.filter { $0.db == db }.map(\.key)
            var start = 0
            while start < inDB.count {
                let chunk = Array(inDB[start..<min(start + size, inDB.count)])
                start += chunk.count
                try body(&s, db, chunk)
            }
        }
    }

    /// Counts a refused optional command and logs it once per command (not every cycle).
    private func noteFailure(_ s: inout State, command: String, message: String) {
        s.commandFailures[command, default: 0] += 1
        if s.loggedFailures.insert(command).inserted {
            logger.warning("Redis refused an optional command; its metrics are skipped (logged once)",
                           metadata: ["command": "\(command)", "error": "\(message)", "redis": "\(endpoint.redactedDescription)"])
        }
    }

    static func readPassword(_ path: String) throws -> String {
        var text = try String(contentsOfFile: path, encoding: .utf8)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        return text
    }
}
