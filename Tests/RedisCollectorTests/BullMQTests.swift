import Testing
import VigilCore
@testable import RedisCollector

@Suite("BullMQ key layout (pure)")
struct BullMQTests {
    @Test("discovery pattern and queue names from meta keys, prefix metacharacters escaped")
    func names() {
        #expect(BullMQ.discoveryPattern(prefix: "bull") == "bull:*:meta")
        #expect(BullMQ.discoveryPattern(prefix: "{bull}[x]") == "{bull}\\[x\\]:*:meta")
        #expect(BullMQ.queueName(metaKey: Array("bull:emails:meta".utf8), prefix: "bull") == "emails")
        #expect(BullMQ.queueName(metaKey: Array("bull::meta".utf8), prefix: "bull") == nil)
        #expect(BullMQ.queueName(metaKey: Array("other:emails:meta".utf8), prefix: "bull") == nil)
    }

    @Test("commands per queue follow BullMQ 5's key types")
    func commands() {
        let q = BullMQ.Queue(db: 2, prefix: "bull", name: "emails")
        let c = BullMQ.countCommands(q)
        #expect(c.count == BullMQ.commandsPerQueue)
        #expect(c[0] == ["LLEN", "bull:emails:wait"])
        #expect(c[3] == ["ZCARD", "bull:emails:delayed"])
        #expect(c[5] == ["ZCARD", "bull:emails:waiting-children"])
        #expect(c[8] == ["HEXISTS", "bull:emails:meta", "paused"])
        #expect(c[9] == ["LINDEX", "bull:emails:wait", "-1"])
    }

    @Test("replies become counts; a WRONGTYPE reply rejects the queue")
    func counts() throws {
        var replies: [RedisReply] = (1...8).map { .integer(Int64($0)) }
        replies += [.integer(1), .string(Array("42".utf8)), .null]
        let c = try #require(BullMQ.counts(replies[...]))
        #expect(c.jobs["wait"] == 1 && c.jobs["failed"] == 8 && c.jobs["waiting-children"] == 6)
        #expect(c.paused)
        #expect(c.oldestIDs == ["42"])
        replies[4] = .error("WRONGTYPE Operation against a key holding the wrong kind of value")
        #expect(BullMQ.counts(replies[...]) == nil)
    }

    @Test("a legacy BullMQ 4 marker at the tail of wait is not a job")
    func legacyMarker() throws {
        var replies: [RedisReply] = [.integer(3)] + (2...8).map { _ in RedisReply.integer(0) }
        replies += [.integer(0), .string(Array("0:1700000000000".utf8)), .null]
        let c = try #require(BullMQ.counts(replies[...]))
        #expect(c.jobs["wait"] == 2)
        #expect(c.oldestIDs.isEmpty)
    }

    @Test("oldest waiting age comes from the job's timestamp in ms; 0 when nothing waits")
    func age() {
        #expect(BullMQ.oldestAge(timestamps: [.string(Array("1700000000000".utf8)), .string(Array("1700000030000".utf8))], now: 1_700_000_100) == 100)
        #expect(BullMQ.oldestAge(timestamps: [], now: 5) == 0)
        #expect(BullMQ.oldestAge(timestamps: [.null], now: 5) == 0)
    }
}

@Suite("CONFIG, LATENCY and SLOWLOG replies")
struct CommandFamiliesTests {
    static func s(_ t: String) -> RedisReply { .string(Array(t.utf8)) }

    @Test("CONFIG GET gives config_maxmemory, config_maxclients, buffer limits and the database count")
    func config() {
        var b = FamilyBuilder(namespace: "redis")
        let reply = RedisReply.array([Self.s("maxmemory"), Self.s("104857600"), Self.s("maxclients"), Self.s("10000"),
                                      Self.s("databases"), Self.s("16"), Self.s("io-threads"), Self.s("1"),
                                      Self.s("client-output-buffer-limit"), Self.s("normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
                                      Self.s("requirepass"), Self.s("secret")])
        #expect(CommandFamilies.config(reply, to: &b) == 16)
        let f = b.families
        #expect(f.value("redis_config_maxmemory") == 104_857_600)
        #expect(f.value("redis_config_maxclients") == 10000)
        #expect(f.value("redis_config_io_threads") == 1)
        #expect(f.value("redis_config_client_output_buffer_limit_bytes", ["class": "slave", "limit": "hard"]) == 268_435_456)
        #expect(f.value("redis_config_client_output_buffer_limit_overcome_seconds", ["class": "pubsub", "limit": "soft"]) == 60)
        #expect(!f.contains(where: { fam in fam.samples.contains(where: { $0.labels.contains(where: { $0.value == "secret" }) }) }))
    }

    @Test("LATENCY LATEST spikes and SLOWLOG length, last id and duration")
    func latencyAndSlowlog() {
        var b = FamilyBuilder(namespace: "redis")
        CommandFamilies.latencyLatest(.array([.array([Self.s("command"), .integer(1_700_000_000), .integer(250), .integer(900)])]), to: &b)
        CommandFamilies.slowlog(length: .integer(3),
                                last: .array([.array([.integer(41), .integer(1_700_000_000), .integer(15000), .array([Self.s("KEYS"), Self.s("*")])])]),
                                to: &b)
        let f = b.families
        #expect(f.value("redis_latency_spike_last", ["event_name": "command"]) == 1_700_000_000)
        #expect(f.value("redis_latency_spike_duration_seconds", ["event_name": "command"]) == 0.25)
        #expect(f.value("redis_slowlog_length") == 3)
        #expect(f.value("redis_slowlog_last_id") == 41)
        #expect(f.value("redis_last_slow_execution_duration_seconds") == 0.015)
    }

    @Test("LATENCY HISTOGRAM becomes a cumulative histogram with commandstats' usec as sum")
    func histogram() {
        var b = FamilyBuilder(namespace: "redis")
        let reply = RedisReply.array([Self.s("set"), .array([Self.s("calls"), .integer(10), Self.s("histogram_usec"),
                                                             .array([.integer(1), .integer(6), .integer(4), .integer(9), .integer(16), .integer(10)])])])
        CommandFamilies.latencyHistogram(reply, usecByCommand: ["set": 55], to: &b)
        let f = b.families
        #expect(f["redis_commands_latencies_usec"]?.type == .histogram)
        #expect(f.value("redis_commands_latencies_usec", ["cmd": "set", "le": "4"], suffix: "_bucket") == 9)
        #expect(f.value("redis_commands_latencies_usec", ["cmd": "set", "le": "+Inf"], suffix: "_bucket") == 10)
        #expect(f.value("redis_commands_latencies_usec", ["cmd": "set"], suffix: "_sum") == 55)
        #expect(f.value("redis_commands_latencies_usec", ["cmd": "set"], suffix: "_count") == 10)
    }
}
