import Testing
import VigilCore
@testable import RedisCollector

@Suite("INFO parsing and redis_exporter's field mapping")
struct InfoFamiliesTests {
    static func families(_ text: String, databases: Int = 16, now: Double = 1_800_000_000) -> [MetricFamily] {
        var b = FamilyBuilder(namespace: "redis")
        InfoFamilies.add(RedisInfo(parsing: text), to: &b, databases: databases, includeEmptyDatabases: true, now: now)
        return b.families
    }

    @Test("the parser splits sections and key:value lines, CRLF or LF, keeping colons in values")
    func parser() {
        let info = RedisInfo(parsing: "# Server\r\nredis_version:7.0.15\r\nexecutable:/usr/bin/redis-server\r\n\r\n# Keyspace\ndb0:keys=1,expires=0,avg_ttl=0\nnot a field\nlistener0:name=tcp,bind=a:b\n")
        #expect(info.fields.map(\.section) == ["Server", "Server", "Keyspace", "Keyspace"])
        #expect(info["listener0"] == "name=tcp,bind=a:b")
        #expect(info["redis_version"] == "7.0.15")
    }

    @Test("Redis 7.0 master fixture: mapped gauges and counters with redis_exporter's names and types")
    func master70() throws {
        let f = Self.families(try Fixtures.text("info-all-redis-7.0-master.txt"))
        #expect(f.value("redis_memory_used_bytes") == 1_677_808)
        #expect(f["redis_memory_used_bytes"]?.type == .gauge)
        #expect(f.value("redis_commands_processed_total") == 286)
        #expect(f["redis_commands_processed_total"]?.type == .counter)
        #expect(f.value("redis_keyspace_hits_total") == 4)
        #expect(f.value("redis_uptime_in_seconds") == 240)
        #expect(f.value("redis_start_time_seconds") == Double(1_800_000_000 - 240))
        #expect(f.value("redis_mem_fragmentation_ratio") == 4.67)
        #expect(f.value("redis_rdb_last_bgsave_status") == 1)
        #expect(f.value("redis_latest_fork_seconds") == 372e-6)
        #expect(f["redis_latest_fork_usec"] == nil)
        #expect(f.value("redis_io_threads_active") == 0)
        #expect(f.value("redis_max_clients") == 10000)
        #expect(f.value("redis_cluster_enabled") == 0)
        #expect(f["redis_total_error_replies"]?.type == .counter)
        #expect(f["redis_expired_time_cap_reached_total"]?.type == .counter)
        // Unmapped fields are not exported.
        #expect(f["redis_used_memory_human"] == nil && f["redis_instantaneous_ops_per_sec"] == nil)
    }

    @Test("keyspace: keys, expiring keys, average TTL in seconds; empty databases padded with 0")
    func keyspace() throws {
        let f = Self.families(try Fixtures.text("info-all-redis-7.0-master.txt"))
        #expect(f.value("redis_db_keys", ["db": "db0"]) == 4)
        #expect(f.value("redis_db_keys_expiring", ["db": "db0"]) == 1)
        #expect(f.value("redis_db_avg_ttl_seconds", ["db": "db0"]) == 768.133)
        #expect(f.value("redis_db_keys", ["db": "db2"]) == 1)
        #expect(f.value("redis_db_keys", ["db": "db15"]) == 0)
        #expect(f.value("redis_db_keys_expiring", ["db": "db7"]) == 0)
        #expect(f.value("redis_db_avg_ttl_seconds", ["db": "db7"]) == nil)
        #expect(f["redis_db_keys"]?.samples.count == 16)
    }

    @Test("commandstats, errorstats and latencystats as redis_exporter labels them")
    func commandStats() throws {
        let f = Self.families(try Fixtures.text("info-all-redis-7.0-master.txt"))
        #expect(f.value("redis_commands_total", ["cmd": "get"]) == 4)
        #expect(f.value("redis_commands_duration_seconds_total", ["cmd": "set"]) == 22e-6)
        #expect(f.value("redis_commands_failed_calls_total", ["cmd": "get"]) == 1)
        #expect(f.value("redis_commands_rejected_calls_total", ["cmd": "get"]) == 0)
        #expect(f.value("redis_errors_total", ["err": "ERR"]) == 5)
        #expect(f.value("redis_errors_total", ["err": "WRONGTYPE"]) == 1)
        let summary = try #require(f["redis_latency_percentiles_usec"])
        #expect(summary.type == .summary)
        #expect(f.value("redis_latency_percentiles_usec", ["cmd": "get", "quantile": "50"]) == 1.003)
        #expect(f.value("redis_latency_percentiles_usec", ["cmd": "get", "quantile": "99.9"]) == 3.007)
        #expect(f.value("redis_latency_percentiles_usec", ["cmd": "get"], suffix: "_sum") == 7)
        #expect(f.value("redis_latency_percentiles_usec", ["cmd": "get"], suffix: "_count") == 4)
        #expect(f.value("redis_commands_total", ["cmd": "config|get"]) != nil)
    }

    @Test("a master lists its replicas with offset and lag; instance_info carries role and version")
    func masterReplication() throws {
        let f = Self.families(try Fixtures.text("info-all-redis-7.0-master.txt"))
        let replica = ["slave_ip": "127.0.0.1", "slave_port": "16380", "slave_state": "online"]
        #expect(f.value("redis_connected_slave_offset_bytes", replica) == 716)
        #expect(f.value("redis_connected_slave_lag_seconds", replica) == 1)
        #expect(f.value("redis_connected_slaves") == 1)
        #expect(f.value("redis_instance_info", ["role": "master", "redis_version": "7.0.15", "redis_mode": "standalone",
                                                "master_replid": "4690baa26360109fa3ae580206ed09106536a8d4"]) == 1)
        #expect(f["redis_slave_info"] == nil)
        #expect(f["redis_master_link_up"] == nil)
    }

    @Test("a replica shows its master link with master_host and master_port labels")
    func replica() throws {
        let f = Self.families(try Fixtures.text("info-all-redis-7.0-replica.txt"))
        let master = ["master_host": "127.0.0.1", "master_port": "16379"]
        #expect(f.value("redis_master_link_up", master) == 1)
        #expect(f.value("redis_master_last_io_seconds_ago", master) == 0)
        #expect(f.value("redis_master_sync_in_progress", master) == 0)
        #expect(f.value("redis_slave_repl_offset", master) == 872)
        #expect(f.value("redis_slave_info", ["master_host": "127.0.0.1", "master_port": "16379", "read_only": "1"]) == 1)
        #expect(f.value("redis_slave_priority") == 100)
        #expect(f.value("redis_instance_info", ["role": "slave"]) == 1)
        #expect(f["redis_connected_slave_offset_bytes"] == nil)
    }

    @Test("Redis 6.2 fixture: no latencystats, extended commandstats, errorstats")
    func redis62() throws {
        let f = Self.families(try Fixtures.text("info-all-redis-6.2.txt"))
        #expect(f.value("redis_instance_info", ["redis_version": "6.2.5"]) == 1)
        #expect(f.value("redis_memory_used_bytes") == 874_520)
        #expect(f.value("redis_db_keys", ["db": "db0"]) == 3)
        #expect(f.value("redis_db_avg_ttl_seconds", ["db": "db0"]) == 497.959)
        #expect(f.value("redis_commands_total", ["cmd": "lpush"]) == 1)
        #expect(f.value("redis_commands_failed_calls_total", ["cmd": "get"]) == 1)
        #expect(f.value("redis_errors_total", ["err": "WRONGTYPE"]) == 1)
        #expect(f["redis_latency_percentiles_usec"] == nil)
    }

    @Test("ok/true read 1, err/fail/false read 0, and a field that does not parse is skipped, not 0")
    func valueRules() {
        let f = Self.families("# Persistence\r\nrdb_last_bgsave_status:err\r\naof_last_write_status:ok\r\naof_last_bgrewrite_status:fail\r\n"
            + "# Memory\r\nused_memory:12abc\r\nmaxmemory:\r\nused_memory_rss:1024\r\n# Cluster\r\ncluster_enabled:false\r\n", databases: 0)
        #expect(f.value("redis_rdb_last_bgsave_status") == 0)
        #expect(f.value("redis_aof_last_write_status") == 1)
        #expect(f.value("redis_aof_last_bgrewrite_status") == 0)
        #expect(f.value("redis_cluster_enabled") == 0)
        #expect(f["redis_memory_used_bytes"] == nil)
        #expect(f["redis_memory_max_bytes"] == nil)
        #expect(f.value("redis_memory_used_rss_bytes") == 1024)
    }

    @Test("pre-6.2 commandstats have no rejected/failed families; broken lines are skipped")
    func oldCommandStats() {
        let f = Self.families("# Commandstats\ncmdstat_get:calls=21,usec=175,usec_per_call=8.33\ncmdstat_bad:calls=x,usec=1\ncmdstat_worse:garbage\n"
            + "# Keyspace\ndb0:keys=oops,expires=0\ndb1:keys=5,expires=2\n# Replication\nslave0:ip=10.0.0.1,port=6379,state=online,offset=abc,lag=0\n",
            databases: 2)
        #expect(f.value("redis_commands_total", ["cmd": "get"]) == 21)
        #expect(f.value("redis_commands_duration_seconds_total", ["cmd": "get"]) == 175e-6)
        #expect(f["redis_commands_rejected_calls_total"] == nil)
        #expect(f["redis_commands_total"]?.samples.count == 1)
        #expect(f.value("redis_db_keys", ["db": "db1"]) == 5)
        #expect(f.value("redis_db_keys", ["db": "db0"]) == 0)
        #expect(f["redis_connected_slave_offset_bytes"] == nil)
    }
}
