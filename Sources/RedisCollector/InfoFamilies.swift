import VigilCore

/// Turns a parsed `INFO ALL` into redis_exporter's families (exporter/info.go, current
/// generation). Pure: time comes in as an argument.
enum InfoFamilies {
    static let commandHelp = [
        "commands_total": "Total number of calls per command",
        "commands_duration_seconds_total": "Total amount of time in seconds spent per command",
        "commands_rejected_calls_total": "Total number of errors within command execution per command",
        "commands_failed_calls_total": "Total number of errors prior command execution per command",
    ]

    /// Adds the families of `info` to `b`.
    /// - Parameters:
    ///   - databases: number of databases (CONFIG `databases`, 16 when unknown); databases
    ///     without keys get `db_keys` 0 and `db_keys_expiring` 0 when `includeEmptyDatabases`.
    ///   - now: Unix time in seconds, for `start_time_seconds`.
    static func add(_ info: RedisInfo, to b: inout FamilyBuilder, databases: Int, includeEmptyDatabases: Bool, now: Double) {
        var masterHost = ""
        var masterPort = ""
        var handledDBs = Set<String>()
        var cmdCalls: [String: Double] = [:]
        var cmdUsec: [String: Double] = [:]
        var latency: [(cmd: String, quantiles: [(String, Double)])] = []

        for field in info.fields {
            let key = field.key
            let value = field.value
            if isMasterHost(key) { masterHost = value }
            if isMasterPort(key) { masterPort = value }

            switch field.section {
            case "Replication":
                if replication(key, value, masterHost: masterHost, masterPort: masterPort, to: &b) { continue }
            case "Server":
                server(key, value, now: now, to: &b)
            case "Commandstats":
                if let c = commandStat(key, value) {
                    let labels: Labels = ["cmd": c.cmd]
                    b.counter("commands_total", c.calls, labels, help: commandHelp["commands_total"])
                    b.counter("commands_duration_seconds_total", c.usec / 1e6, labels, help: commandHelp["commands_duration_seconds_total"])
                    if let rejected = c.rejected, let failed = c.failed {
                        b.counter("commands_rejected_calls_total", rejected, labels, help: commandHelp["commands_rejected_calls_total"])
                        b.counter("commands_failed_calls_total", failed, labels, help: commandHelp["commands_failed_calls_total"])
                    }
                    cmdCalls[c.cmd] = c.calls
                    cmdUsec[c.cmd] = c.usec
                }
                continue
            case "Latencystats":
                if let l = latencyStat(key, value) { latency.append(l) }
                continue
            case "Errorstats":
                if key.hasPrefix("errorstat_"), let pairs = parseCommaPairs(value), pairs.count == 1,
                   let count = countNumber(pairs[0].1) {
                    b.counter("errors_total", count, ["err": String(key.dropFirst("errorstat_".count))],
                              help: "Total number of errors per error type")
                }
                continue
            case "Cluster Info":
                continue
            case "Keyspace":
                if let metrics = keyspace(key, value) {
                    for (name, v) in metrics {
                        b.gauge(name, v, ["db": key], help: keyspaceHelp[name])
                    }
                    handledDBs.insert(key)
                    continue
                }
            default:
                break
            }

            guard let m = InfoFieldMap.metric(for: key), let v = InfoFieldMap.value(value) else { continue }
            switch m.type {
            case .gauge: b.gauge(m.name, v * m.factor)
            case .counter: b.counter(m.name, v * m.factor)
            }
        }

        // A summary needs count and sum from Commandstats and the quantiles from Latencystats.
        for l in latency {
            guard let count = cmdCalls[l.cmd], let sum = cmdUsec[l.cmd] else { continue }
            let name = b.fullName("latency_percentiles_usec")
            let help = "A summary of latency percentile distribution per command"
            for (q, v) in l.quantiles {
                b.add(name, .summary, v, ["cmd": l.cmd, "quantile": q], help: help)
            }
            b.add(name, .summary, sum, ["cmd": l.cmd], suffix: "_sum", help: help)
            b.add(name, .summary, count, ["cmd": l.cmd], suffix: "_count", help: help)
        }

        if includeEmptyDatabases {
            for i in 0..<max(0, min(databases, 4096)) where !handledDBs.contains("db\(i)") {
                b.gauge("db_keys", 0, ["db": "db\(i)"], help: keyspaceHelp["db_keys"])
                b.gauge("db_keys_expiring", 0, ["db": "db\(i)"], help: keyspaceHelp["db_keys_expiring"])
            }
        }

        var mode = info["redis_mode"] ?? ""
        if mode.isEmpty { mode = info["server_mode"] ?? "" }
        var labels: Labels = [
            "role": info["role"] ?? "",
            "redis_version": info["redis_version"] ?? "",
            "redis_build_id": info["redis_build_id"] ?? "",
            "redis_mode": mode,
            "os": info["os"] ?? "",
            "maxmemory_policy": info["maxmemory_policy"] ?? "",
            "tcp_port": info["tcp_port"] ?? "",
            "run_id": info["run_id"] ?? "",
            "process_id": info["process_id"] ?? "",
            "master_replid": info["master_replid"] ?? "",
        ]
        if let v = info["valkey_version"] { labels.set("valkey_version", v) }
        if let v = info["valkey_release_stage"] { labels.set("valkey_release_stage", v) }
        if let v = info["availability_zone"], !v.isEmpty { labels.set("availability_zone", v) }
        b.gauge("instance_info", 1, labels, help: "Information about the Redis instance")

        if info["role"] == "slave" {
            b.gauge("slave_info", 1, [
                "master_host": info["master_host"] ?? "",
                "master_port": info["master_port"] ?? "",
                "read_only": info["slave_read_only"] ?? "",
            ], help: "Information about the Redis slave")
        }
    }

    /// `CLUSTER INFO` (cluster mode): every `cluster_*` field through the same field map and
    /// value rules as INFO (`cluster_state:ok` → `redis_cluster_state 1`), as redis_exporter does.
    static func addClusterInfo(_ text: String, to b: inout FamilyBuilder) {
        for field in RedisInfo(parsing: text).fields {
            guard let m = InfoFieldMap.metric(for: field.key), let v = InfoFieldMap.value(field.value) else { continue }
            switch m.type {
            case .gauge: b.gauge(m.name, v * m.factor)
            case .counter: b.counter(m.name, v * m.factor)
            }
        }
    }

    static let keyspaceHelp = [
        "db_keys": "Total number of keys by DB",
        "db_keys_expiring": "Total number of expiring keys by DB",
        "db_avg_ttl_seconds": "Avg TTL in seconds",
        "db_keys_cached": "Total number of cached keys by DB",
        "db_keys_with_expiring_items": "Total number of keys with expiring items by DB",
    ]

    // MARK: - Sections

    /// `master_host`, `master_1_host`, … (KeyDB multi-master numbers them).
    static func isMasterHost(_ key: String) -> Bool { isMasterField(key, "host") }
    static func isMasterPort(_ key: String) -> Bool { isMasterField(key, "port") }

    /// `master(_N)?_<suffix>` at the start of `key` (prefix match, as redis_exporter's regexps).
    private static func masterFieldSuffix(_ key: String) -> Substring? {
        guard key.hasPrefix("master") else { return nil }
        var rest = key.dropFirst("master".count)
        if rest.hasPrefix("_"), let d = rest.dropFirst().first, d.isASCII, d.isNumber {
            let digits = rest.dropFirst().prefix(while: { $0.isASCII && $0.isNumber })
            rest = rest.dropFirst(1 + digits.count)
        }
        guard rest.hasPrefix("_") else { return nil }
        return rest.dropFirst()
    }

    private static func isMasterField(_ key: String, _ suffix: String) -> Bool {
        masterFieldSuffix(key)?.hasPrefix(suffix) == true
    }

    /// Replication fields with master/slave labels. True when handled (not a plain field).
    static func replication(_ key: String, _ value: String, masterHost: String, masterPort: String, to b: inout FamilyBuilder) -> Bool {
        let masterLabels: Labels = ["master_host": masterHost, "master_port": masterPort]
        if let suffix = masterFieldSuffix(key) {
            if suffix.hasPrefix("link_status") {
                b.gauge("master_link_up", value == "up" ? 1 : 0, masterLabels, help: "Master link status on Redis slave")
                return true
            }
            for (field, help) in [("last_io_seconds_ago", "Master last io seconds ago"), ("sync_in_progress", "Master sync in progress")]
            where suffix.hasPrefix(field) {
                if let v = finiteNumber(value) { b.gauge("master_\(field)", v, masterLabels, help: help) }
                return true
            }
        }
        if key.hasPrefix("slave_repl_offset") {
            if let v = finiteNumber(value) { b.gauge("slave_repl_offset", v, masterLabels, help: "Slave replication offset") }
            return true
        }
        if let s = connectedSlave(key, value) {
            let labels: Labels = ["slave_ip": s.ip, "slave_port": s.port, "slave_state": s.state]
            b.gauge("connected_slave_offset_bytes", s.offset, labels, help: "Offset of connected slave")
            if let lag = s.lag { b.gauge("connected_slave_lag_seconds", lag, labels, help: "Lag of connected slave") }
            return true
        }
        return false
    }

    /// `slaveN:ip=…,port=…,state=…,offset=…,lag=…`
    static func connectedSlave(_ key: String, _ value: String) -> (ip: String, port: String, state: String, offset: Double, lag: Double?)? {
        guard key.hasPrefix("slave"), let d = key.dropFirst(5).first, d.isASCII, d.isNumber,
              let pairs = parseCommaPairs(value) else { return nil }
        let kv = Dictionary(pairs, uniquingKeysWith: { a, _ in a })
        guard let offset = kv["offset"].flatMap(finiteNumber) else { return nil }
        var lag: Double?
        if let l = kv["lag"] {
            guard let v = finiteNumber(l) else { return nil }
            lag = v
        }
        return (kv["ip"] ?? "", kv["port"] ?? "", kv["state"] ?? "", offset, lag)
    }

    static func server(_ key: String, _ value: String, now: Double, to b: inout FamilyBuilder) {
        switch key {
        case "uptime_in_seconds":
            if let up = countNumber(value) {
                b.gauge("start_time_seconds", (now - up).rounded(.down), help: "Start time of the Redis instance since unix epoch in seconds.")
            }
        case "configured_hz", "hz":
            if let v = Int64(value) { b.gauge(key, Double(v)) }
        default:
            break
        }
    }

    /// `cmdstat_get:calls=21,usec=175,usec_per_call=8.33[,rejected_calls=0,failed_calls=0]`
    static func commandStat(_ key: String, _ value: String) -> (cmd: String, calls: Double, usec: Double, rejected: Double?, failed: Double?)? {
        guard key.hasPrefix("cmdstat_"), let pairs = parseCommaPairs(value) else { return nil }
        let kv = Dictionary(pairs, uniquingKeysWith: { a, _ in a })
        guard let calls = kv["calls"].flatMap(countNumber), let usec = kv["usec"].flatMap(countNumber) else { return nil }
        let rejected = kv["rejected_calls"].flatMap(countNumber)
        let failed = kv["failed_calls"].flatMap(countNumber)
        let extended = rejected != nil && failed != nil
        return (String(key.dropFirst("cmdstat_".count)), calls, usec, extended ? rejected : nil, extended ? failed : nil)
    }

    /// `latency_percentiles_usec_get:p50=1.003,p99=3.007,p99.9=3.007` → quantile labels "50", "99", "99.9";
    /// nil unless every percentile is in 0…100 and every latency a finite, non-negative number.
    static func latencyStat(_ key: String, _ value: String) -> (cmd: String, quantiles: [(String, Double)])? {
        let prefix = "latency_percentiles_usec_"
        guard key.hasPrefix(prefix), let pairs = parseCommaPairs(value) else { return nil }
        var quantiles: [(String, Double)] = []
        for (p, v) in pairs {
            guard p.hasPrefix("p"), let q = countNumber(p.dropFirst()), q <= 100, let value = countNumber(v) else { return nil }
            quantiles.append((formatValue(q), value))
        }
        return (String(key.dropFirst(prefix.count)), quantiles)
    }

    /// `db0:keys=1,expires=0,avg_ttl=0[,subexpiry=0]` → [(metric, value)]; nil unless keys and expires parse
    /// and every value is a finite, non-negative number.
    static func keyspace(_ key: String, _ value: String) -> [(String, Double)]? {
        guard key.hasPrefix("db"), let pairs = parseCommaPairs(value) else { return nil }
        let kv = Dictionary(pairs, uniquingKeysWith: { a, _ in a })
        let definitions: [(fields: [String], name: String, scale: Double, required: Bool)] = [
            (["keys"], "db_keys", 1, true),
            (["expires"], "db_keys_expiring", 1, true),
            (["avg_ttl"], "db_avg_ttl_seconds", 1.0 / 1000, false),
            (["cached_keys"], "db_keys_cached", 1, false),
            (["subexpiry", "keys_with_volatile_items"], "db_keys_with_expiring_items", 1, false),
        ]
        var out: [(String, Double)] = []
        for d in definitions {
            guard let raw = d.fields.lazy.compactMap({ kv[$0] }).first else {
                if d.required { return nil }
                continue
            }
            guard let v = countNumber(raw) else { return nil }
            out.append((d.name, v * d.scale))
        }
        return out
    }
}
