import Foundation
public import VigilCore

/// Ranges of a Redis target's durations (seconds) and numbers; README.md lists the same.
public enum RedisLimits {
    public static let connectTimeout: ClosedRange<Double> = 0.01...600             // 10ms … 10m
    public static let commandTimeout: ClosedRange<Double> = 0.01...600             // 10ms … 10m
    public static let reconnectBackoff: ClosedRange<Double> = 0.001...86_400       // 1ms … 1d
    public static let scanInterval: ClosedRange<Double> = 1...604_800              // 1s … 1w
    public static let scanTimePerCycle: ClosedRange<Double> = 0.001...60           // 1ms … 1m
    public static let database: ClosedRange<Int> = 0...10_000
    public static let bullmqMaxQueues: ClosedRange<Int> = 1...100_000
    public static let scanKeysPerSecond: ClosedRange<Int> = 1...10_000_000
    public static let scanCount: ClosedRange<Int> = 1...1_000_000
    public static let maxStreams: ClosedRange<Int> = 1...10_000
    public static let maxCheckedKeys: ClosedRange<Int> = 1...100_000
    public static let maxClientNames: ClosedRange<Int> = 1...1_000
}

extension RedisCollectorOptions {
    /// `host:port` as redis_exporter's REDIS_ADDR allows becomes a redis:// URL.
    public static func normalizeAddress(_ addr: String) -> String {
        addr.contains("://") ? addr : "redis://\(addr)"
    }

    /// One item of `redis.targets` (its own keys; name and schedule are `TargetList`'s).
    public static func read(_ t: StrictYAMLReader, version: String) throws(PositionedError) -> RedisCollectorOptions {
        guard let raw = try t.secret("url") else {
            throw t.context.error(t.node, t.path, "url or url_file is required")
        }
        let url = normalizeAddress(raw)
        let endpoint: RedisEndpoint
        do {
            endpoint = try RedisEndpoint.parse(url)
        } catch {
            throw t.error(t.has("url") ? "url" : "url_file", "\(error)")
        }
        var o = RedisCollectorOptions(url: url, buildVersion: version)
        o.tls = try t.tlsConfig("tls_config")
        if o.tls != nil, !endpoint.tls {
            throw t.error("tls_config", "tls_config needs a rediss:// URL (this target's URL is not TLS)")
        }
        o.username = try t.string("username")
        o.password = try t.string("password")
        if let file = try t.string("password_file") {
            if o.password != nil {
                throw t.error("password_file", "set either password or password_file, not both")
            }
            let full = file.hasPrefix("/") ? file : "\(t.context.baseDirectory)/\(file)"
            guard FileManager.default.isReadableFile(atPath: full) else {
                throw t.error("password_file", "cannot read file \(full)")
            }
            // Read again at every (re)connect, so a rotated password is picked up.
            o.passwordFile = full
        }
        o.connectTimeout = try t.seconds("connect_timeout", range: RedisLimits.connectTimeout) ?? o.connectTimeout
        o.commandTimeout = try t.seconds("command_timeout", range: RedisLimits.commandTimeout) ?? o.commandTimeout
        o.reconnectBackoffInitial = try t.seconds("reconnect_backoff_initial", range: RedisLimits.reconnectBackoff) ?? o.reconnectBackoffInitial
        o.reconnectBackoffMax = try t.seconds("reconnect_backoff_max", range: RedisLimits.reconnectBackoff) ?? o.reconnectBackoffMax
        if let name = try t.string("client_name") { o.clientName = name.isEmpty ? nil : name }
        o.configCommand = try t.string("config_command") ?? o.configCommand
        o.includeEmptyDatabases = try t.bool("include_empty_databases") ?? o.includeEmptyDatabases
        o.latencyHistograms = try t.bool("latency_histograms") ?? o.latencyHistograms
        for item in try t.sequence("key_patterns") ?? [] {
            let k = try StrictYAMLReader(item.node, path: item.path, context: t.context)
            guard let db = try k.int("db", range: RedisLimits.database), let pattern = try k.string("pattern"), !pattern.isEmpty else {
                throw t.context.error(item.node, item.path, "db and pattern are required")
            }
            try k.finish()
            o.keyPatterns.append(RedisKeyPattern(db: db, pattern: pattern))
        }
        if let b = try t.mapping("bullmq") {
            o.bullmq.enabled = try b.bool("enabled") ?? o.bullmq.enabled
            o.bullmq.prefixes = try b.stringList("prefixes") ?? o.bullmq.prefixes
            if let dbs = try b.sequence("databases") {
                var list: [Int] = []
                for item in dbs { list.append(try b.integer(item.node, item.path, range: RedisLimits.database)) }
                o.bullmq.databases = list
            }
            o.bullmq.maxQueues = try b.int("max_queues", range: RedisLimits.bullmqMaxQueues) ?? o.bullmq.maxQueues
            o.bullmq.eventsStreams = try b.bool("events_streams") ?? o.bullmq.eventsStreams
            try b.finish()
        }
        o.checkStreams = try keyArguments(t, "check_streams")
        o.checkSingleStreams = try keyArguments(t, "check_single_streams")
        o.checkKeys = try keyArguments(t, "check_keys")
        o.checkSingleKeys = try keyArguments(t, "check_single_keys")
        o.checkKeysStringValues = try t.bool("check_keys_string_values") ?? o.checkKeysStringValues
        o.maxStreams = try t.int("max_streams", range: RedisLimits.maxStreams) ?? o.maxStreams
        o.maxCheckedKeys = try t.int("max_checked_keys", range: RedisLimits.maxCheckedKeys) ?? o.maxCheckedKeys
        o.exportClientList = try t.bool("export_client_list") ?? o.exportClientList
        o.clientsByName = try t.bool("clients_by_name") ?? o.clientsByName
        o.maxClientNames = try t.int("max_client_names", range: RedisLimits.maxClientNames) ?? o.maxClientNames
        o.includeConfigMetrics = try t.bool("include_config_metrics") ?? o.includeConfigMetrics
        o.scanInterval = try t.seconds("scan_interval", range: RedisLimits.scanInterval) ?? o.scanInterval
        if let rate = try t.int("scan_keys_per_second", range: RedisLimits.scanKeysPerSecond) { o.scanKeysPerSecond = Double(rate) }
        o.scanCount = try t.int("scan_count", range: RedisLimits.scanCount) ?? o.scanCount
        o.scanTimePerCycle = try t.seconds("scan_time_per_cycle", range: RedisLimits.scanTimePerCycle) ?? o.scanTimePerCycle
        if o.reconnectBackoffInitial > o.reconnectBackoffMax {
            throw t.error(t.has("reconnect_backoff_max") ? "reconnect_backoff_max" : "reconnect_backoff_initial",
                          "reconnect_backoff_initial (\(PromDuration.format(o.reconnectBackoffInitial))) must not exceed reconnect_backoff_max (\(PromDuration.format(o.reconnectBackoffMax)))")
        }
        return o
    }

    /// A list of redis_exporter-style `dbN=key` strings.
    static func keyArguments(_ t: StrictYAMLReader, _ key: String) throws(PositionedError) -> [RedisKeyArgument] {
        var out: [RedisKeyArgument] = []
        for item in try t.stringItems(key) ?? [] {
            guard let a = RedisKeyArgument.parse(item.value, range: RedisLimits.database) else {
                throw t.context.error(item.node, item.path,
                                      "expected \"dbN=key\" or \"key\" (a non-empty key; N from \(RedisLimits.database.lowerBound) to \(RedisLimits.database.upperBound))")
            }
            out.append(a)
        }
        return out
    }
}
