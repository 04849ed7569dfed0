import Foundation
import HTTPServer
import Notify
import Yams
import PostgresCollector
import RedisCollector
import RemoteWrite
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
        /// exporter-toolkit web configuration file (TLS, basic auth, headers); see WebConfigFile.
        var configFile: String?
        /// Grafana (or other) dashboards linked from the status page; see VigilConfig+StatusPage.swift.
        var dashboardsURL: String?
        /// Leave `/-/healthy` and `/-/ready` open when basic auth is on (for orchestrator probes).
        var healthWithoutAuth = false
    }

    /// Where the shipped rules are installed (the container image puts them there).
    static let defaultRulesPattern = "/usr/share/vigil/rules/*.yml"

    /// Neither postgres_exporter's 9187 nor redis_exporter's 9121.
    static let defaultListenAddress = ":9633"

    var global = Global()
    var web = Web()
    /// Targets of the kinds in `VigilConfig.kinds`, in their order, each kind's in file order.
    var targets: [ConfiguredTarget] = []
    /// `rule_files` patterns as written, and the groups they loaded.
    var ruleFiles: [String] = []
    var ruleGroups: [RuleGroup] = []
    /// The `rule_files` globs (resolved) that matched no file: warned about at start, on
    /// reload and by check-config, so a run that loads no rules says where it looked.
    var unmatchedRuleFiles: [String] = []
    /// The `alerting` section: route, receivers, inhibit rules (Alertmanager's shape), or nil
    /// when alerts are not sent anywhere.
    var alerting: NotifyConfig?
    /// `remote_write:` items (prometheus.yml's shape); empty: nothing is sent.
    var remoteWrite: [RemoteWriteConfig] = []
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
        let redisURL = environment["REDIS_URL"] ?? environment["REDIS_ADDR"].map(RedisCollectorOptions.normalizeAddress) ?? "redis://localhost:6379"
        let interval = config.global.collectInterval
        let timeout = config.timeout(interval: interval, own: nil)
        config.targets = [
            PostgresTargetKind().target("default", PostgresCollectorOptions(dsn: dsn), interval: interval, timeout: timeout, count: 1),
            RedisTargetKind(version: VigilVersion.current).target("default", RedisCollectorOptions(url: redisURL, buildVersion: VigilVersion.current),
                                                                  interval: interval, timeout: timeout, count: 1),
        ]
        // The shipped rules, where the package or the container image installs them.
        config.ruleFiles = [defaultRulesPattern]
        do {
            config.ruleGroups = try RuleFile.loadGroups(patterns: config.ruleFiles, baseDirectory: "/")
            config.unmatchedRuleFiles = RuleFile.unmatched(patterns: config.ruleFiles, baseDirectory: "/")
        } catch {
            throw error
        }
        return config
    }

    /// Loads and validates a configuration file.
    static func load(file: String, environment: [String: String]) throws -> VigilConfig {
        let text = try StrictYAMLContext.readText(path: file)
        let base = (file as NSString).deletingLastPathComponent
        return try parse(yaml: text, file: file, environment: environment, baseDirectory: base.isEmpty ? "." : base)
    }

    static func parse(yaml: String, file: String, environment: [String: String], baseDirectory: String = ".") throws -> VigilConfig {
        let context = StrictYAMLContext(file: file, environment: environment, baseDirectory: baseDirectory)
        guard let root = try context.root(yaml) else {
            var empty = VigilConfig()
            empty.source = file
            return empty
        }
        let top = try StrictYAMLReader(root, path: "", context: context)
        var config = VigilConfig()
        config.source = file

        if let g = try top.mapping("global") {
            config.global.collectInterval = try g.seconds("collect_interval", range: ConfigLimits.collectInterval) ?? config.global.collectInterval
            config.global.collectTimeout = try g.seconds("collect_timeout", range: ConfigLimits.collectTimeout)
            try checkTimeout(g, interval: config.global.collectInterval, timeout: config.global.collectTimeout)
            config.global.evaluationInterval = try g.seconds("evaluation_interval", range: ConfigLimits.evaluationInterval)
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
            config.web.maxConnections = try w.int("max_connections", range: ConfigLimits.maxConnections) ?? config.web.maxConnections
            config.web.connectionTimeout = try w.seconds("connection_timeout", range: ConfigLimits.connectionTimeout) ?? config.web.connectionTimeout
            try config.web.readDefences(w)
            try config.web.readStatusPage(w)
            if let file = try w.string("config_file") {
                config.web.configFile = file.hasPrefix("/") || baseDirectory == "." ? file : baseDirectory + "/" + file
            }
            try w.finish()
        }
        let defaults = TargetDefaults(collectInterval: config.global.collectInterval, collectTimeout: config.global.collectTimeout,
                                      version: VigilVersion.current)
        for kind in kinds { config.targets += try kind.read(top, defaults: defaults) }
        if let node = top.value("alerting") {
            config.alerting = try NotifyConfig.parse(node: node, path: "alerting", file: file,
                                                     environment: environment, baseDirectory: baseDirectory)
        }
        config.remoteWrite = try RemoteWriteConfig.read(top)
        if let patterns = try top.stringList("rule_files") {
            config.ruleFiles = patterns
            config.ruleGroups = try RuleFile.loadGroups(patterns: patterns, baseDirectory: baseDirectory)
            config.unmatchedRuleFiles = RuleFile.unmatched(patterns: patterns, baseDirectory: baseDirectory)
        }
        try top.finish()
        return config
    }

    private static func checkTimeout(_ r: StrictYAMLReader, interval: Double, timeout: Double?) throws {
        if let timeout, timeout > interval {
            throw r.context.error(r.value("collect_timeout"), r.childPath("collect_timeout"),
                                  "must not exceed the collect_interval (\(PromDuration.format(interval)))")
        }
    }

    /// The forms HTTPServer accepts: `host:port`, `:port` or `[v6]:port`.
    private static func validateListenAddress(_ addr: String, reader: StrictYAMLReader) throws {
        do {
            _ = try ListenAddress.parse(addr)
        } catch {
            throw reader.context.error(reader.value("listen_address"), reader.childPath("listen_address"), "\(error)")
        }
    }
}
