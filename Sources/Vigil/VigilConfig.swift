import Foundation
import HTTPServer
import Notify
import Yams
import PostgresCollector
import RedisCollector
import Rules
import VigilCore

/// Vigil's configuration: one YAML file, or the embedded default built from the environment.
/// Every key is documented in README.md; `examples/vigil.yml` shows all of them.
struct VigilConfig: Sendable {
    struct Global: Sendable {
        /// Seconds between collections of a target (per-target `collect_interval` overrides).
        var collectInterval: Double = 15
        /// Seconds a collection may take; default two thirds of the interval.
        var collectTimeout: Double?
        /// Seconds between rule evaluations of groups without their own interval; default the
        /// collection interval (such groups run as soon as a collection lands).
        var evaluationInterval: Double?
        /// Labels added to alerts (and available as `$externalLabels` in templates).
        var externalLabels: [String: String] = [:]
        /// Base URL of this Vigil as users reach it, for links in alerts.
        var externalURL = ""
        /// Where alert state (and the notification outbox) persist; created when missing.
        var stateDirectory = "data"
    }

    struct Web: Sendable {
        var listenAddress = VigilConfig.defaultListenAddress
        var maxConnections = 256
        var connectionTimeout: Double = 10
        /// Seconds a client has to complete a request header (see VigilConfig+Web.swift).
        var headerTimeout: Double = 5
        /// Seconds an API query may take, queueing included (Prometheus' `--query.timeout`).
        var queryTimeout: Double = 30
        /// API queries evaluated at once (Prometheus' `--query.max-concurrency`).
        var queryMaxConcurrency = 2
        /// Samples one API query may load (Prometheus' `--query.max-samples`).
        var queryMaxSamples = 50_000_000
    }

    struct PostgresTarget: Sendable {
        var name: String
        /// Everything the collector is given; `options.dsn` may hold a password: a secret.
        var options: PostgresCollectorOptions
        var collectInterval: Double?
        var collectTimeout: Double?
    }

    struct RedisTarget: Sendable {
        var name: String
        /// Everything the collector is given; the URL and password are secrets.
        var options: RedisCollectorOptions
        var collectInterval: Double?
        var collectTimeout: Double?
    }

    /// Where the shipped rules are installed (the container image puts them there).
    static let defaultRulesPattern = "/usr/share/vigil/rules/*.yml"

    /// Neither postgres_exporter's 9187 nor redis_exporter's 9121.
    static let defaultListenAddress = ":9633"

    var global = Global()
    var web = Web()
    var postgres: [PostgresTarget] = []
    var redis: [RedisTarget] = []
    /// `rule_files` patterns as written, and the groups they loaded.
    var ruleFiles: [String] = []
    var ruleGroups: [RuleGroup] = []
    /// The `alerting` section: route, receivers, inhibit rules (Alertmanager's shape), or nil
    /// when alerts are not sent anywhere.
    var alerting: NotifyConfig?
    /// Where this configuration came from, for logs.
    var source = "embedded default"

    func interval(_ own: Double?) -> Double { own ?? global.collectInterval }

    var evaluationInterval: Double { global.evaluationInterval ?? global.collectInterval }

    func timeout(interval: Double, own: Double?) -> Double {
        own ?? global.collectTimeout.map { min($0, interval) } ?? interval * 2 / 3
    }
}

extension VigilConfig {
    /// The configuration used when no file is given: PostgreSQL from `DATABASE_URL`, else
    /// `DATA_SOURCE_NAME`, else libpq's own environment and defaults; Redis from `REDIS_URL`,
    /// else `REDIS_ADDR`, else `redis://localhost:6379`.
    static func embeddedDefault(environment: [String: String]) throws -> VigilConfig {
        var config = VigilConfig()
        let dsn = environment["DATABASE_URL"] ?? environment["DATA_SOURCE_NAME"] ?? ""
        config.postgres = [PostgresTarget(name: "default", options: PostgresCollectorOptions(dsn: dsn))]
        let redisURL = environment["REDIS_URL"] ?? environment["REDIS_ADDR"].map(normalizeRedisAddress) ?? "redis://localhost:6379"
        config.redis = [RedisTarget(name: "default", options: RedisCollectorOptions(url: redisURL, buildVersion: VigilVersion.current))]
        // The shipped rules, where the package or the container image installs them.
        config.ruleFiles = [defaultRulesPattern]
        do {
            config.ruleGroups = try RuleFile.loadGroups(patterns: config.ruleFiles, baseDirectory: "/")
        } catch {
            throw error
        }
        return config
    }

    /// `host:port` as redis_exporter's REDIS_ADDR allows becomes a redis:// URL.
    static func normalizeRedisAddress(_ addr: String) -> String {
        addr.contains("://") ? addr : "redis://\(addr)"
    }

    /// Loads and validates a configuration file.
    static func load(file: String, environment: [String: String]) throws -> VigilConfig {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigError(file: file, line: 0, column: 0, field: "", message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: file, line: 0, column: 0, field: "", message: "the file is not UTF-8 text")
        }
        let base = (file as NSString).deletingLastPathComponent
        return try parse(yaml: text, file: file, environment: environment, baseDirectory: base.isEmpty ? "." : base)
    }

    static func parse(yaml: String, file: String, environment: [String: String], baseDirectory: String = ".") throws -> VigilConfig {
        let context = YAMLContext(file: file, environment: environment, baseDirectory: baseDirectory)
        guard let root = try context.root(yaml) else {
            var empty = VigilConfig()
            empty.source = file
            return empty
        }
        let top = try MappingReader(root, path: "", context: context)
        var config = VigilConfig()
        config.source = file

        if let g = try top.mapping("global") {
            config.global.collectInterval = try g.positiveDuration("collect_interval") ?? config.global.collectInterval
            config.global.collectTimeout = try g.positiveDuration("collect_timeout")
            try checkTimeout(g, interval: config.global.collectInterval, timeout: config.global.collectTimeout)
            config.global.evaluationInterval = try g.positiveDuration("evaluation_interval")
            if let labels = try g.mapping("external_labels") {
                for key in labels.keys {
                    guard key.range(of: "^[a-zA-Z_][a-zA-Z0-9_]*$", options: .regularExpression) != nil else {
                        throw context.error(labels.value(key), labels.childPath(key), "invalid label name")
                    }
                    config.global.externalLabels[key] = try labels.string(key) ?? ""
                }
                try labels.finish()
            }
            config.global.externalURL = try g.string("external_url") ?? ""
            config.global.stateDirectory = try g.string("state_dir") ?? config.global.stateDirectory
            try g.finish()
        }
        if let w = try top.mapping("web") {
            if let addr = try w.string("listen_address") {
                try validateListenAddress(addr, reader: w)
                config.web.listenAddress = addr
            }
            config.web.maxConnections = try w.int("max_connections", range: 1...65535) ?? config.web.maxConnections
            config.web.connectionTimeout = try w.positiveDuration("connection_timeout") ?? config.web.connectionTimeout
            try config.web.readDefences(w)
            try w.finish()
        }
        config.postgres = try targets(top, "postgres", config: config) { t, item in
            guard let dsn = try t.secret("dsn") else {
                throw context.error(item.node, item.path, "dsn or dsn_file is required")
            }
            try validateDSN(dsn, reader: t)
            return try postgresOptions(t, dsn: dsn)
        }.map { PostgresTarget(name: $0.name, options: $0.options, collectInterval: $0.interval, collectTimeout: $0.timeout) }
        config.redis = try targets(top, "redis", config: config) { t, item in
            guard let url = try t.secret("url") else {
                throw context.error(item.node, item.path, "url or url_file is required")
            }
            let normalized = normalizeRedisAddress(url)
            try validateRedisURL(normalized, reader: t)
            return try redisOptions(t, url: normalized)
        }.map { RedisTarget(name: $0.name, options: $0.options, collectInterval: $0.interval, collectTimeout: $0.timeout) }
        if let node = top.value("alerting") {
            config.alerting = try NotifyConfig.parse(node: node, path: "alerting", file: file,
                                                     environment: environment, baseDirectory: baseDirectory)
        }
        if let patterns = try top.stringList("rule_files") {
            config.ruleFiles = patterns
            config.ruleGroups = try RuleFile.loadGroups(patterns: patterns, baseDirectory: baseDirectory)
        }
        try top.finish()
        return config
    }

    /// The `targets` list of a `postgres` or `redis` section: unique names, per-target interval
    /// and timeout (checked against each other), the kind's own options from `options`, and no
    /// unknown keys.
    private static func targets<Options>(
        _ top: MappingReader, _ section: String, config: VigilConfig,
        options: (MappingReader, (node: Node, path: String)) throws -> Options
    ) throws -> [(name: String, options: Options, interval: Double?, timeout: Double?)] {
        guard let s = try top.mapping(section) else { return [] }
        var names: Set<String> = []
        var out: [(name: String, options: Options, interval: Double?, timeout: Double?)] = []
        for item in try s.sequence("targets") ?? [] {
            let t = try MappingReader(item.node, path: item.path, context: s.context)
            let name = try targetName(t, names: &names)
            let parsed = try options(t, item)
            let interval = try t.positiveDuration("collect_interval")
            let timeout = try t.positiveDuration("collect_timeout")
            try checkTimeout(t, interval: config.interval(interval), timeout: timeout)
            try t.finish()
            out.append((name, parsed, interval, timeout))
        }
        try s.finish()
        return out
    }

    private static func targetName(_ t: MappingReader, names: inout Set<String>) throws -> String {
        guard let name = try t.string("name") else {
            throw t.context.error(t.node, t.path, "name is required")
        }
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }) else {
            throw t.context.error(t.value("name"), t.childPath("name"), "names may hold only letters, digits, '_', '-' and '.'")
        }
        guard names.insert(name).inserted else {
            throw t.context.error(t.value("name"), t.childPath("name"), "duplicate target name \"\(name)\"")
        }
        return name
    }

    private static func postgresOptions(_ t: MappingReader, dsn: String) throws -> PostgresCollectorOptions {
        var o = PostgresCollectorOptions(dsn: dsn)
        o.connectTimeout = try t.positiveDuration("connect_timeout") ?? o.connectTimeout
        o.statementTimeout = try t.duration("statement_timeout") ?? o.statementTimeout
        o.lockTimeout = try t.duration("lock_timeout") ?? o.lockTimeout
        o.applicationName = try t.string("application_name") ?? o.applicationName
        o.reconnectBackoffMax = try t.positiveDuration("reconnect_backoff_max") ?? o.reconnectBackoffMax
        if let c = try t.mapping("collectors") {
            for name in PostgresCollectorOptions.defaultCollectors.keys.sorted() {
                if let on = try c.bool(name) { o.collectors[name] = on }
            }
            try c.finish()
        }
        o.statementsTopN = try t.int("statements_top_n", range: 1...100_000) ?? o.statementsTopN
        if let buckets = try t.sequence("statement_latency_buckets") {
            o.statementLatencyBuckets = try buckets.map { item in
                guard case .scalar(let sc) = item.node, let v = Double(sc.string), v > 0, v.isFinite else {
                    throw t.context.error(item.node, item.path, "expected a positive number of seconds")
                }
                return v
            }
            guard o.statementLatencyBuckets == o.statementLatencyBuckets.sorted(), Set(o.statementLatencyBuckets).count == o.statementLatencyBuckets.count else {
                throw t.context.error(t.value("statement_latency_buckets"), t.childPath("statement_latency_buckets"), "bucket bounds must be strictly increasing")
            }
        }
        o.allDatabases = try t.bool("all_databases") ?? o.allDatabases
        o.includeDatabases = try t.stringList("include_databases") ?? o.includeDatabases
        o.excludeDatabases = try t.stringList("exclude_databases") ?? o.excludeDatabases
        o.tableSeriesCap = try t.int("table_series_cap", range: 0...1_000_000) ?? o.tableSeriesCap
        if let file = try t.string("queries_file") {
            let full = file.hasPrefix("/") ? file : "\(t.context.baseDirectory)/\(file)"
            guard FileManager.default.isReadableFile(atPath: full) else {
                throw t.context.error(t.value("queries_file"), t.childPath("queries_file"), "cannot read file \(full)")
            }
            o.queriesFile = full
            if let problem = PostgresCollector.validateQueriesFile(o) {
                throw t.context.error(t.value("queries_file"), t.childPath("queries_file"), problem)
            }
        }
        return o
    }

    private static func redisOptions(_ t: MappingReader, url: String) throws -> RedisCollectorOptions {
        var o = RedisCollectorOptions(url: url, buildVersion: VigilVersion.current)
        o.username = try t.string("username")
        o.password = try t.string("password")
        if let file = try t.string("password_file") {
            if o.password != nil {
                throw t.context.error(t.value("password_file"), t.childPath("password_file"), "set either password or password_file, not both")
            }
            let full = file.hasPrefix("/") ? file : "\(t.context.baseDirectory)/\(file)"
            guard FileManager.default.isReadableFile(atPath: full) else {
                throw t.context.error(t.value("password_file"), t.childPath("password_file"), "cannot read file \(full)")
            }
            // Read again at every (re)connect, so a rotated password is picked up.
            o.passwordFile = full
        }
        o.connectTimeout = try t.positiveDuration("connect_timeout") ?? o.connectTimeout
        o.commandTimeout = try t.positiveDuration("command_timeout") ?? o.commandTimeout
        o.reconnectBackoffInitial = try t.positiveDuration("reconnect_backoff_initial") ?? o.reconnectBackoffInitial
        o.reconnectBackoffMax = try t.positiveDuration("reconnect_backoff_max") ?? o.reconnectBackoffMax
        if let name = try t.string("client_name") { o.clientName = name.isEmpty ? nil : name }
        o.configCommand = try t.string("config_command") ?? o.configCommand
        o.includeEmptyDatabases = try t.bool("include_empty_databases") ?? o.includeEmptyDatabases
        o.latencyHistograms = try t.bool("latency_histograms") ?? o.latencyHistograms
        for item in try t.sequence("key_patterns") ?? [] {
            let k = try MappingReader(item.node, path: item.path, context: t.context)
            guard let db = try k.int("db", range: 0...10_000), let pattern = try k.string("pattern"), !pattern.isEmpty else {
                throw t.context.error(item.node, item.path, "db and pattern are required")
            }
            try k.finish()
            o.keyPatterns.append(RedisKeyPattern(db: db, pattern: pattern))
        }
        if let b = try t.mapping("bullmq") {
            o.bullmq.enabled = try b.bool("enabled") ?? o.bullmq.enabled
            o.bullmq.prefixes = try b.stringList("prefixes") ?? o.bullmq.prefixes
            if let dbs = try b.sequence("databases") {
                o.bullmq.databases = try dbs.map { item in
                    guard case .scalar(let sc) = item.node, let n = Int(sc.string), n >= 0 else {
                        throw t.context.error(item.node, item.path, "expected a database number")
                    }
                    return n
                }
            }
            o.bullmq.maxQueues = try b.int("max_queues", range: 1...100_000) ?? o.bullmq.maxQueues
            try b.finish()
        }
        o.scanInterval = try t.positiveDuration("scan_interval") ?? o.scanInterval
        if let rate = try t.int("scan_keys_per_second", range: 1...10_000_000) { o.scanKeysPerSecond = Double(rate) }
        o.scanCount = try t.int("scan_count", range: 1...1_000_000) ?? o.scanCount
        o.scanTimePerCycle = try t.positiveDuration("scan_time_per_cycle") ?? o.scanTimePerCycle
        return o
    }

    private static func checkTimeout(_ r: MappingReader, interval: Double, timeout: Double?) throws {
        if let timeout, timeout > interval {
            throw r.context.error(r.value("collect_timeout"), r.childPath("collect_timeout"),
                                  "must not exceed the collect_interval (\(PromDuration.format(interval)))")
        }
    }

    /// The forms HTTPServer accepts: `host:port`, `:port` or `[v6]:port`.
    private static func validateListenAddress(_ addr: String, reader: MappingReader) throws {
        do {
            _ = try ListenAddress.parse(addr)
        } catch {
            throw reader.context.error(reader.value("listen_address"), reader.childPath("listen_address"), "\(error)")
        }
    }

    /// A URI DSN must parse as a URL with a postgres scheme; a key/value DSN must be key=value pairs.
    private static func validateDSN(_ dsn: String, reader: MappingReader) throws {
        let key = reader.has("dsn") ? "dsn" : "dsn_file"
        func fail(_ why: String) -> ConfigError {
            reader.context.error(reader.value(key), reader.childPath(key), "invalid PostgreSQL DSN: \(why)")
        }
        if dsn.contains("://") {
            guard dsn.hasPrefix("postgres://") || dsn.hasPrefix("postgresql://") else {
                throw fail("the scheme must be postgresql:// or postgres://")
            }
            guard URLComponents(string: dsn) != nil else { throw fail("not a valid URL") }
        } else if !dsn.isEmpty {
            let redacted = Redaction.conninfo(dsn)
            guard redacted.split(separator: " ").allSatisfy({ $0.contains("=") && !$0.hasPrefix("=") }) else {
                throw fail("expected key=value pairs or a postgresql:// URL")
            }
        }
    }

    /// Validated with the collector's own parser, so config and collector agree.
    private static func validateRedisURL(_ url: String, reader: MappingReader) throws {
        let key = reader.has("url") ? "url" : "url_file"
        do {
            _ = try RedisEndpoint.parse(url)
        } catch {
            throw reader.context.error(reader.value(key), reader.childPath(key), "\(error)")
        }
    }
}
