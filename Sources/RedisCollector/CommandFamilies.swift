import VigilCore

/// Families from the replies of CONFIG GET, LATENCY LATEST, LATENCY HISTOGRAM and SLOWLOG,
/// named as redis_exporter names them. Pure.
enum CommandFamilies {
    /// `CONFIG GET *` (or a subset): `config_maxmemory`, `config_maxclients`, `config_io_threads`,
    /// the client output buffer limits. Returns the `databases` setting when present.
    ///
    /// Settings also become redis_exporter's `include-config-metrics` families:
    /// `redis_config_key_value{key,value}` 1 and, for numbers, `redis_config_value{key}` — every
    /// setting when `allSettings`, else only `dashboardSettings`. Settings holding secrets
    /// (`requirepass`, `masterauth`, any `*pass*`) are never exported.
    @discardableResult
    static func config(_ reply: RedisReply, allSettings: Bool = false, to b: inout FamilyBuilder) -> Int? {
        guard let items = reply.array, items.count % 2 == 0 else { return nil }
        var databases: Int?
        var i = 0
        while i + 1 < items.count {
            defer { i += 2 }
            guard let key = items[i].text, let value = items[i + 1].text else { continue }
            if allSettings || dashboardSettings.contains(key), !isSecret(key) {
                b.gauge("config_key_value", 1, ["key": key, "value": value], help: "Config key and value")
                if let v = finiteNumber(value) {
                    b.gauge("config_value", v, ["key": key], help: "Config key and value as metric")
                }
            }
            switch key {
            case "databases":
                databases = Int(value)
            case "maxmemory", "maxclients", "io-threads":
                if let v = countNumber(value) {
                    b.gauge("config_\(key.replacingOccurrences(of: "-", with: "_"))", v)
                }
            case "client-output-buffer-limit":
                // "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
                let parts = value.split(separator: " ").map(String.init)
                var j = 0
                while j + 3 < parts.count {
                    let cls = parts[j]
                    if let hard = countNumber(parts[j + 1]) {
                        b.gauge("config_client_output_buffer_limit_bytes", hard, ["class": cls, "limit": "hard"],
                                help: "The configured buffer limits per class")
                    }
                    if let soft = countNumber(parts[j + 2]) {
                        b.gauge("config_client_output_buffer_limit_bytes", soft, ["class": cls, "limit": "soft"],
                                help: "The configured buffer limits per class")
                    }
                    if let secs = countNumber(parts[j + 3]) {
                        b.gauge("config_client_output_buffer_limit_overcome_seconds", secs, ["class": cls, "limit": "soft"],
                                help: "How long for buffer limits per class to be exceeded before replicas are dropped")
                    }
                    j += 4
                }
            default:
                break
            }
        }
        return databases
    }

    /// The settings exported without `include_config_metrics`: what the seed tunes and the
    /// Redis dashboard shows.
    static let dashboardSettings: Set<String> = [
        "maxmemory", "maxmemory-policy", "maxclients", "save", "appendonly", "appendfsync", "timeout", "tcp-keepalive", "databases",
    ]

    static func isSecret(_ key: String) -> Bool {
        key.contains("pass") || key == "masterauth" || key.contains("secret")
    }

    /// `LATENCY LATEST`: [[event, last-spike unix time, latest ms, max ms], …]. Counts, times
    /// and durations here and below are `RedisReply.count`s: a negative one is skipped.
    static func latencyLatest(_ reply: RedisReply, to b: inout FamilyBuilder) {
        for entry in reply.array ?? [] {
            guard let e = entry.array, e.count >= 3, let event = e[0].text,
                  let last = e[1].count, let duration = e[2].count else { continue }
            b.gauge("latency_spike_last", Double(last), ["event_name": event], help: "When the latency spike last occurred")
            b.gauge("latency_spike_duration_seconds", Double(duration) / 1e3, ["event_name": event],
                    help: "Length of the last latency spike in seconds")
        }
    }

    /// `LATENCY HISTOGRAM` (Redis 7+): [cmd, [calls, N, histogram_usec, [bucket, cumulative count, …]], …]
    /// → `commands_latencies_usec` histogram {cmd}; the sum is the command's total usec from INFO commandstats.
    static func latencyHistogram(_ reply: RedisReply, usecByCommand: [String: Double], to b: inout FamilyBuilder) {
        guard let items = reply.array else { return }
        let name = b.fullName("commands_latencies_usec")
        let help = "A histogram of latencies per command"
        var i = 0
        while i + 1 < items.count {
            defer { i += 2 }
            guard let cmd = items[i].text, let details = items[i + 1].array else { continue }
            var calls: Double?
            var buckets: [(Double, Double)] = []
            var j = 0
            while j + 1 < details.count {
                switch details[j].text {
                case "calls": calls = details[j + 1].count.map(Double.init)
                case "histogram_usec":
                    let raw = details[j + 1].array ?? []
                    var k = 0
                    while k + 1 < raw.count {
                        if let le = raw[k].count, let c = raw[k + 1].count { buckets.append((Double(le), Double(c))) }
                        k += 2
                    }
                default: break
                }
                j += 2
            }
            guard let count = calls else { continue }
            let labels: Labels = ["cmd": cmd]
            for (le, c) in buckets.sorted(by: { $0.0 < $1.0 }) {
                b.add(name, .histogram, c, labels.appending("le", formatValue(le)), suffix: "_bucket", help: help)
            }
            b.add(name, .histogram, count, labels.appending("le", "+Inf"), suffix: "_bucket", help: help)
            b.add(name, .histogram, usecByCommand[cmd] ?? 0, labels, suffix: "_sum", help: help)
            b.add(name, .histogram, count, labels, suffix: "_count", help: help)
        }
    }

    /// `SLOWLOG LEN` and `SLOWLOG GET 1`.
    static func slowlog(length: RedisReply?, last: RedisReply?, to b: inout FamilyBuilder) {
        if let n = length?.count {
            b.gauge("slowlog_length", Double(n), help: "Total slowlog")
        }
        guard let entries = last?.array else { return }
        var lastID = 0.0
        var lastDuration = 0.0
        if let first = entries.first?.array, let id = first.first?.count {
            lastID = Double(id)
            if first.count > 2, let micros = first[2].count { lastDuration = Double(micros) / 1e6 }
        }
        b.gauge("slowlog_last_id", lastID, help: "Last id of slowlog")
        b.gauge("last_slow_execution_duration_seconds", lastDuration, help: "The amount of time needed for last slow execution, in seconds")
    }
}
