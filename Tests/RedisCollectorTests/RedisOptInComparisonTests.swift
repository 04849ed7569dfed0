import Foundation
import Logging
import Testing
import VigilCore
@testable import RedisCollector
import VigilTestSupport

/// redis_exporter's opt-in collectors (`-check-streams`, `-check-keys`, `-check-single-keys`,
/// `-export-client-list`, `-include-config-metrics`) beside Vigil's `check_streams`,
/// `check_keys`, `check_single_keys`, `export_client_list`, `include_config_metrics`, on the
/// same Redis and the same keys: same families, labels and (where nothing moves between the
/// two scrapes) values.
@Suite("Opt-in Redis collectors against prometheus-redis-exporter", .serialized)
struct RedisOptInComparisonTests {
    typealias Family = ExpositionParser.ParsedFamily

    /// Streams with consumer groups (one with pending entries), and keys of every type.
    static func seed(_ url: String, db: Int, id: String) throws {
        let c = try RedisCollectorIntegrationTests.admin(url, db: db)
        let s1 = "vigil-stream-\(id):orders", s2 = "vigil-stream-\(id):empty-groups"
        for i in 0..<5 { _ = try c.command(["XADD", s1, "*", "n", String(i)]) }
        #expect(try c.command(["XGROUP", "CREATE", s1, "billing", "0"]).errorMessage == nil)
        #expect(try c.command(["XGROUP", "CREATE", s1, "audit", "$"]).errorMessage == nil)
        // billing/worker-1 reads three entries and acknowledges one: two stay pending.
        let read = try c.command(["XREADGROUP", "GROUP", "billing", "worker-1", "COUNT", "3", "STREAMS", s1, ">"])
        let ids = read.array?.first?.array?.last?.array?.compactMap { $0.array?.first?.text } ?? []
        #expect(ids.count == 3)
        _ = try c.command(["XACK", s1, "billing", ids[0]])
        _ = try c.command(["XREADGROUP", "GROUP", "billing", "worker-2", "COUNT", "1", "STREAMS", s1, ">"])
        _ = try c.command(["XADD", s2, "*", "a", "1"])
        _ = try c.command(["XGROUP", "CREATE", s2, "idle", "$"])
        // A key of another type under the stream pattern is skipped by both.
        _ = try c.command(["SET", "vigil-stream-\(id):not-a-stream", "x"])

        let k = "vigil-keys-\(id)"
        _ = try c.command(["SET", "\(k):number", "42.5"])
        _ = try c.command(["SET", "\(k):word", "hello"])
        _ = try c.command(["RPUSH", "\(k):list", "a", "b", "c"])
        _ = try c.command(["SADD", "\(k):set", "a", "b"])
        _ = try c.command(["ZADD", "\(k):zset", "1", "a"])
        _ = try c.command(["HSET", "\(k):hash", "f", "v", "g", "w"])
        _ = try c.command(["PFADD", "\(k):visitors", "a", "b", "c", "d"])
        _ = try c.command(["XADD", "\(k):stream", "*", "f", "v"])
    }

    /// The samples of `family` as label set → value.
    static func series(_ f: Family?) -> [[String: String]: Double] {
        Dictionary((f?.samples ?? []).map { ($0.labels, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    @Test("check_streams, check_keys, check_single_keys, export_client_list and include_config_metrics match redis_exporter's flags")
    func optIn() throws {
        guard let url = TestEnvironment.redisURL else { return }
        let db = 5
        let id = String(UUID().uuidString.prefix(8)).lowercased()
        try Self.seed(url, db: db, id: id)
        let streams = "db\(db)=vigil-stream-\(id):*", keys = "db\(db)=vigil-keys-\(id):*", single = "db\(db)=vigil-keys-\(id):missing"
        guard let (e, v) = try RedisExporterComparisonTests.compare(
            redisURL: url,
            exporterArguments: ["-check-streams", streams, "-check-keys", keys, "-check-single-keys", single,
                                "-export-client-list", "-include-config-metrics"],
            configure: { o in
                o.checkStreams = [.init(db: db, key: "vigil-stream-\(id):*")]
                o.checkKeys = [.init(db: db, key: "vigil-keys-\(id):*")]
                o.checkSingleKeys = [.init(db: db, key: "vigil-keys-\(id):missing")]
                o.checkKeysStringValues = true
                o.exportClientList = true
                o.includeConfigMetrics = true
            }) else { return }

        // Values that do not move between the two scrapes are equal, series by series.
        for name in ["redis_stream_length", "redis_stream_groups", "redis_stream_radix_tree_keys", "redis_stream_radix_tree_nodes",
                     "redis_stream_last_generated_id", "redis_stream_group_consumers", "redis_stream_group_messages_pending",
                     "redis_stream_group_last_delivered_id", "redis_stream_group_consumer_messages_pending",
                     "redis_key_size", "redis_key_value", "redis_key_value_as_string"] {
            #expect(!Self.series(e[name]).isEmpty, "the exporter exports \(name)")
            #expect(Self.series(v[name]) == Self.series(e[name]), "\(name): Vigil \(Self.series(v[name])), exporter \(Self.series(e[name]))")
        }
        let orders = ["db": "db\(db)", "stream": "vigil-stream-\(id):orders"]
        #expect(Self.series(v["redis_stream_length"])[orders] == 5)
        #expect(Self.series(v["redis_stream_group_messages_pending"])[orders.merging(["group": "billing"]) { a, _ in a }] == 3)
        #expect(Self.series(v["redis_stream_group_consumer_messages_pending"])[orders.merging(["group": "billing", "consumer": "worker-1"]) { a, _ in a }] == 2)
        // Redis 7 knows the lag of a group that has read everything it was given so far.
        #expect(Self.series(v["redis_stream_group_lag"])[orders.merging(["group": "audit"]) { a, _ in a }] == 0)
        #expect(Self.series(v["redis_stream_group_lag"])[orders.merging(["group": "billing"]) { a, _ in a }] == 1)
        #expect(Self.series(v["redis_stream_first_entry_id"])[orders] ?? 0 > 1.7e12)
        let keyLabels = { (k: String) in ["db": "db\(db)", "key": "vigil-keys-\(id):\(k)"] }
        #expect(Self.series(v["redis_key_size"])[keyLabels("visitors")] == 4, "a HyperLogLog's size is its PFCOUNT")
        #expect(Self.series(v["redis_key_size"])[keyLabels("missing")] == 0)
        #expect(Self.series(v["redis_key_value"])[keyLabels("number")] == 42.5)
        // Idle times differ by the time between the scrapes, not by units.
        let idleE = Self.series(e["redis_stream_group_consumer_idle_seconds"]), idleV = Self.series(v["redis_stream_group_consumer_idle_seconds"])
        #expect(Set(idleE.keys) == Set(idleV.keys))
        for (labels, value) in idleV { #expect(abs(value - (idleE[labels] ?? -100)) < 30, "\(labels)") }

        // Config: the same settings apart from those Vigil never exports (secrets).
        let configE = Self.series(e["redis_config_value"]), configV = Self.series(v["redis_config_value"])
        #expect(configE.count > 20)
        let missing = Set(configE.keys).subtracting(configV.keys)
        #expect(missing.allSatisfy { CommandFamilies.isSecret($0["key"] ?? "") }, "missing: \(missing)")
        for (labels, value) in configV { #expect(configE[labels] == value, "\(labels)") }
        let kvE = Set(Self.series(e["redis_config_key_value"]).keys), kvV = Set(Self.series(v["redis_config_key_value"]).keys)
        #expect(kvE.subtracting(kvV).allSatisfy { CommandFamilies.isSecret($0["key"] ?? "") }, "\(kvE.subtracting(kvV))")
        #expect(kvV.allSatisfy { !CommandFamilies.isSecret($0["key"] ?? "") })

        // The client list: both name themselves, and Vigil's names are counted.
        #expect(Self.series(e["redis_connected_clients_details"]).keys.contains { $0["name"] == "redis_exporter" })
        #expect(Self.series(v["redis_connected_clients_details"]).keys.contains { $0["name"] == "vigil" })
        #expect(Self.series(v["redis_connected_clients_by_name"])[["name": "vigil"]] ?? 0 >= 1)
    }

    @Test("max_checked_keys caps the keys checked per cycle; the rest are counted, not kept")
    func caps() throws {
        guard let url = TestEnvironment.redisURL else { return }
        let db = 5
        let id = String(UUID().uuidString.prefix(8)).lowercased()
        try Self.seed(url, db: db, id: id)
        let c = try RedisCollector(options: .init(url: url, bullmq: .init(enabled: false), checkKeys: [.init(db: db, key: "vigil-keys-\(id):*")],
                                                  maxCheckedKeys: 2), logger: Logger(label: "test"))
        defer { c.close() }
        let f = try c.collect(CollectContext(startedAt: Date(), deadline: .now + .seconds(5)))
        #expect(f["redis_key_size"]?.samples.count == 2)
        #expect(f.value("vigil_redis_checked_keys_ignored") == 6, "8 keys match, 2 are checked")
    }

    @Test("without the options only the dashboard's settings are exported, and no key or stream families")
    func defaults() throws {
        guard let url = TestEnvironment.redisURL else { return }
        let f = try RedisCollector(options: .init(url: url, bullmq: .init(enabled: false)), logger: Logger(label: "test"))
            .collect(CollectContext(startedAt: Date(), deadline: .now + .seconds(5)))
        let settings = Set(f["redis_config_key_value"]?.samples.compactMap { $0.labels["key"] } ?? [])
        #expect(settings == CommandFamilies.dashboardSettings)
        #expect(f.value("redis_config_value", ["key": "databases"]) ?? 0 >= 1)
        #expect(f["redis_stream_length"] == nil && f["redis_key_size"] == nil && f["redis_connected_clients_details"] == nil)
        #expect(f["redis_connected_clients_by_name"] != nil)
    }
}
