import Foundation
import VigilCore
import Logging
import Testing
import VigilCore
@testable import RedisCollector
import VigilTestSupport

/// The collector against the real Redis of VIGIL_TEST_REDIS_URL.
@Suite("Redis collector against a real Redis", .serialized)
struct RedisCollectorIntegrationTests {
    static let logger = Logger(label: "test.redis")

    static func context(_ seconds: Double = 5) -> CollectContext {
        CollectContext(startedAt: Date(), deadline: .now + .milliseconds(Int64(seconds * 1000)))
    }

    static func admin(_ url: String, db: Int? = nil, tls: TLSOptions? = nil) throws -> HiredisConnection {
        var e = try RedisEndpoint.parse(url)
        if let db { e.database = db }
        return try HiredisConnection(.init(endpoint: e, password: e.password, connectTimeout: 2, commandTimeout: 5, clientName: "vigil-test-admin",
                                           tls: tls),
                                     deadline: .now + .seconds(30))
    }

    @Test("one cycle gives redis_exporter's families, PING time and self-metrics over one persistent connection")
    func collects() throws {
        guard let url = TestEnvironment.redisURL else { return }
        let name = "vigil-test-\(UUID().uuidString.prefix(8))"
        let c = try RedisCollector(options: .init(url: url, clientName: name, bullmq: .init(enabled: false)), logger: Self.logger)
        defer { c.close() }
        let f1 = try c.collect(Self.context())
        #expect(f1.value("redis_memory_used_bytes") ?? 0 > 0)
        #expect(f1["redis_commands_processed_total"]?.type == .counter)
        #expect(f1.value("redis_config_maxclients") ?? 0 > 0)
        #expect(f1.value("redis_instance_info", ["role": "master"]) == 1)
        #expect(f1.value("redis_exporter_last_scrape_ping_time_seconds") ?? -1 > 0)
        #expect(f1.value("redis_exporter_scrapes_total") == 1)
        #expect(f1.value("redis_exporter_last_scrape_error", ["err": ""]) == 0)
        #expect(f1["redis_slowlog_length"] != nil)
        #expect(f1["redis_up"] == nil, "redis_up is the Scheduler's")
        let f2 = try c.collect(Self.context())
        #expect(f2.value("redis_exporter_scrapes_total") == 2)
        // The same connection serves both cycles: exactly one client carries our name.
        let list = try Self.admin(url).command(["CLIENT", "LIST"]).text ?? ""
        #expect(list.components(separatedBy: "name=\(name) ").count - 1 == 1)
        #expect(f2.value("redis_exporter_last_scrape_connect_time_seconds") == f1.value("redis_exporter_last_scrape_connect_time_seconds"))
    }

    @Test("an unreachable server makes collect throw; the next cycle retries at once, then retries back off")
    func unreachable() throws {
        let port = try SilentListener.freePort()
        let c = try RedisCollector(options: .init(url: "redis://:hunter2@127.0.0.1:\(port)", reconnectBackoffInitial: 30), logger: Self.logger)
        #expect { try c.collect(Self.context()) } throws: { !"\($0)".contains("hunter2") }
        #expect { try c.collect(Self.context()) } throws: { error in
            let text = "\(error)"
            return text.contains("Connection refused") && !text.contains("hunter2")
        }
        let start = ContinuousClock.now
        #expect { try c.collect(Self.context()) } throws: { error in
            let text = "\(error)"
            return text.contains("next in") && !text.contains("hunter2")
        }
        #expect(ContinuousClock.now - start < .milliseconds(100))
    }

    @Test("a listener that accepts and never answers fails the cycle within its deadline")
    func silent() throws {
        let listener = try SilentListener()
        defer { listener.close() }
        let c = try RedisCollector(options: .init(url: "redis://127.0.0.1:\(listener.port)", connectTimeout: 10, commandTimeout: 10), logger: Self.logger)
        let start = ContinuousClock.now
        #expect(throws: (any Error).self) { try c.collect(Self.context(0.8)) }
        #expect(ContinuousClock.now - start < .milliseconds(1500))
    }

    @Test("a killed connection fails one cycle; the next one reconnects by itself")
    func reconnects() throws {
        guard let url = TestEnvironment.redisURL else { return }
        let name = "vigil-test-\(UUID().uuidString.prefix(8))"
        let c = try RedisCollector(options: .init(url: url, reconnectBackoffInitial: 0.05, clientName: name, bullmq: .init(enabled: false)), logger: Self.logger)
        defer { c.close() }
        _ = try c.collect(Self.context())
        let admin = try Self.admin(url)
        let list = try admin.command(["CLIENT", "LIST"]).text ?? ""
        let line = try #require(list.split(separator: "\n").first(where: { $0.contains("name=\(name) ") }))
        let id = try #require(line.split(separator: " ").first(where: { $0.hasPrefix("id=") })?.dropFirst(3))
        #expect(try admin.command(["CLIENT", "KILL", "ID", String(id)]).integer == 1)
        #expect(throws: CollectorError.self) { try c.collect(Self.context()) }
        Thread.sleep(forTimeInterval: 0.1)
        let f = try c.collect(Self.context())
        #expect(f.value("redis_memory_used_bytes") != nil)
    }

    @Test("a user with CONFIG, LATENCY and SLOWLOG forbidden by ACL still collects everything else; refusals are counted")
    func managedRedis() throws {
        guard let url = TestEnvironment.redisURL else { return }
        let admin = try Self.admin(url)
        let user = "vigil-limited-\(getpid())"
        _ = try admin.command(["ACL", "SETUSER", user, "reset", "on", ">limited-pw", "~*", "&*", "+@all", "-config", "-latency", "-slowlog"])
        defer { _ = try? admin.command(["ACL", "DELUSER", user]) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pwFile = dir.appendingPathComponent("pw")
        try "limited-pw\n".write(to: pwFile, atomically: true, encoding: .utf8)

        let c = try RedisCollector(options: .init(url: url, username: user, passwordFile: pwFile.path, bullmq: .init(enabled: false)), logger: Self.logger)
        defer { c.close() }
        _ = try c.collect(Self.context())
        let f = try c.collect(Self.context())
        #expect(f.value("redis_memory_used_bytes") != nil)
        #expect(f.value("redis_db_keys", ["db": "db0"]) != nil)
        #expect(f["redis_commands_total"] != nil)
        #expect(f["redis_config_maxclients"] == nil)
        #expect(f["redis_slowlog_length"] == nil)
        #expect(f.value("vigil_redis_command_failures_total", ["command": "CONFIG GET"]) == 2)
        #expect(f.value("vigil_redis_command_failures_total", ["command": "LATENCY LATEST"]) == 2)
        #expect(f.value("vigil_redis_command_failures_total", ["command": "SLOWLOG LEN"]) == 2)
    }

    @Test("key patterns are counted exactly by incremental SCAN, with the age of the last pass")
    func keyPatterns() throws {
        guard let url = TestEnvironment.redisURL else { return }
        let db0 = try Self.admin(url, db: 9)
        let db1 = try Self.admin(url, db: 10)
        _ = try db0.command(["FLUSHDB"])
        _ = try db1.command(["FLUSHDB"])
        defer { _ = try? db0.command(["FLUSHDB"]); _ = try? db1.command(["FLUSHDB"]) }
        for batch in stride(from: 0, to: 2500, by: 500) {
            _ = try db0.command(["MSET"] + (batch..<batch + 500).flatMap { ["session:\($0)", "x"] })
        }
        _ = try db0.command(["MSET"] + (0..<300).flatMap { ["other:\($0)", "y", "sessions-not:\($0)", "z"] })
        _ = try db1.command(["MSET"] + (0..<40).flatMap { ["user:\($0):teams", "t"] } + (0..<10).flatMap { ["user:\($0):profile", "p"] })

        let patterns = [RedisKeyPattern(db: 9, pattern: "session:*"), RedisKeyPattern(db: 10, pattern: "user:*:teams")]
        let c = try RedisCollector(options: .init(url: url, keyPatterns: patterns, bullmq: .init(enabled: false),
                                                  scanKeysPerSecond: 2000, scanCount: 200, scanTimePerCycle: 1),
                                   logger: Self.logger)
        defer { c.close() }
        var f: [MetricFamily] = []
        var cycles = 0
        // 3,650 keys at 2,000 keys/s in steps of 200: several cycles, each bounded.
        while cycles < 40 {
            cycles += 1
            f = try c.collect(Self.context())
            if f.value("redis_keys_count", ["db": "db9", "key": "session:*"]) != nil,
               f.value("redis_keys_count", ["db": "db10", "key": "user:*:teams"]) != nil { break }
            Thread.sleep(forTimeInterval: 0.25)
        }
        #expect(f.value("redis_keys_count", ["db": "db9", "key": "session:*"]) == 2500)
        #expect(f.value("redis_keys_count", ["db": "db10", "key": "user:*:teams"]) == 40)
        #expect(cycles > 1, "the budget spreads a pass over several cycles")
        let age = try #require(f.value("redis_keys_count_last_pass_age_seconds", ["db": "db9", "key": "session:*"]))
        #expect(age >= 0 && age < 15)
    }

    @Test("a key pattern or BullMQ database that does not exist is counted as a failure and the target stays up")
    func missingDatabase() throws {
        guard let url = TestEnvironment.redisURL else { return }
        let c = try RedisCollector(options: .init(url: url, keyPatterns: [.init(db: 9999, pattern: "x:*"), .init(db: 0, pattern: "vigil-none:*")],
                                                  bullmq: .init(databases: [9998])), logger: Self.logger)
        defer { c.close() }
        let f = try c.collect(Self.context())
        #expect(f.value("vigil_redis_command_failures_total", ["command": "SELECT"]) ?? 0 >= 2)
        #expect(f.value("redis_keys_count", ["db": "db0", "key": "vigil-none:*"]) == 0)
        #expect(f.value("redis_keys_count", ["db": "db9999"]) == nil)
        #expect(f.value("redis_memory_used_bytes") != nil)
    }

    @Test("BullMQ queues are discovered and counted exactly for every state (BullMQ 5 key layout)")
    func bullmq() throws {
        guard let url = TestEnvironment.redisURL else { return }
        let r = try Self.admin(url, db: 11)
        _ = try r.command(["FLUSHDB"])
        defer { _ = try? r.command(["FLUSHDB"]) }
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        // Queue "emails": jobs as BullMQ 5 lays them out.
        for id in 1...8 {
            let ts = id == 1 ? nowMs - 120_000 : nowMs - Int64(id) * 1000
            _ = try r.command(["HSET", "bull:emails:\(id)", "name", "send", "data", "{}", "timestamp", String(ts), "delay", "0", "priority", "0"])
        }
        _ = try r.command(["LPUSH", "bull:emails:wait", "1", "2", "3", "4", "5"])   // 1 is the oldest, at the right end
        _ = try r.command(["LPUSH", "bull:emails:active", "6", "7"])
        _ = try r.command(["LPUSH", "bull:emails:paused", "8"])
        _ = try r.command(["ZADD", "bull:emails:delayed", "1", "d1", "2", "d2", "3", "d3"])
        _ = try r.command(["ZADD", "bull:emails:prioritized", "1", "p1", "2", "p2", "3", "p3", "4", "p4"])
        _ = try r.command(["ZADD", "bull:emails:waiting-children", "1", "c1"])
        _ = try r.command(["ZADD", "bull:emails:completed"] + (1...6).flatMap { ["\($0)", "done\($0)"] })
        _ = try r.command(["ZADD", "bull:emails:failed", "1", "f1", "2", "f2"])
        _ = try r.command(["HSET", "bull:emails:meta", "opts.maxLenEvents", "10000", "paused", "1"])
        _ = try r.command(["SET", "bull:emails:id", "8"])
        // Queue "reports": one waiting job, not paused.
        _ = try r.command(["HSET", "bull:reports:meta", "opts.maxLenEvents", "10000"])
        _ = try r.command(["HSET", "bull:reports:1", "name", "r", "timestamp", String(nowMs - 5000)])
        _ = try r.command(["LPUSH", "bull:reports:wait", "1"])
        // A queue under another prefix is not ours.
        _ = try r.command(["HSET", "other:emails:meta", "opts.maxLenEvents", "1"])

        let c = try RedisCollector(options: .init(url: url, bullmq: .init(databases: [11])), logger: Self.logger)
        defer { c.close() }
        let f = try c.collect(Self.context())
        let emails = ["db": "db11", "prefix": "bull", "queue": "emails"]
        let expected: [String: Double] = ["wait": 5, "active": 2, "paused": 1, "delayed": 3, "prioritized": 4,
                                          "waiting-children": 1, "completed": 6, "failed": 2]
        for (state, n) in expected {
            #expect(f.value("bullmq_queue_jobs", emails.merging(["state": state]) { a, _ in a }) == n, "state \(state)")
        }
        #expect(f.value("bullmq_queue_paused", emails) == 1)
        let age = try #require(f.value("bullmq_queue_oldest_waiting_job_age_seconds", emails))
        #expect(age >= 119 && age < 130)
        let reports = ["db": "db11", "prefix": "bull", "queue": "reports"]
        #expect(f.value("bullmq_queue_jobs", reports.merging(["state": "wait"]) { a, _ in a }) == 1)
        #expect(f.value("bullmq_queue_jobs", reports.merging(["state": "failed"]) { a, _ in a }) == 0)
        #expect(f.value("bullmq_queue_paused", reports) == 0)
        #expect(f["bullmq_queue_jobs"]?.samples.count == 16)
    }
}
