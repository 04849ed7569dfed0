import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import RedisCollector

/// A seeded, bounded mutation run over what a Redis server answers: raw RESP bytes recorded from
/// a real Redis 7.0 (`Fixtures/resp/`: XINFO STREAM/GROUPS/CONSUMERS, CLIENT LIST, CONFIG GET *,
/// INFO ALL, LATENCY/SLOWLOG, SCAN, the BullMQ counts, the key checks) are mutated, parsed by
/// hiredis' reader (the one both connection paths use) and handed to every pure reader, whatever
/// command the reply belongs to. Properties: no crash, no slow case, protocol errors are thrown
/// values, every exported number is finite and every count is not negative, the families render
/// to exposition text that parses again, and a secret setting never reaches it. Findings live in
/// `Fixtures/fuzz/` and are replayed first.
@Suite("Redis reply readers fuzz")
struct RedisReplyFuzzTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    static let seeds = Fuzzing.files(in: fixtures.appendingPathComponent("resp")) + [
        ("unit-test client list", bulk("id=3 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=8 name=app age=10 idle=2 flags=N db=0 omem=0 cmd=get user=default resp=2\nid=4 addr=[::1]:5001 fd=9 name= age=5 idle=5 flags=N db=1 omem=0 cmd=set\n")),
        ("replica info", bulk("# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:6379\r\nmaster_link_status:up\r\nmaster_last_io_seconds_ago:-1\r\nslave_repl_offset:14\r\nslave0:ip=127.0.0.1,port=6380,state=online,offset=14,lag=0\r\n# Latencystats\r\nlatency_percentiles_usec_get:p50=1.003,p99=3.007,p99.9=3.007\r\n# Errorstats\r\nerrorstat_ERR:count=2\r\n")),
    ]
    static let findings = Fuzzing.files(in: fixtures.appendingPathComponent("fuzz"))

    static func bulk(_ text: String) -> [UInt8] { Array("$\(text.utf8.count)\r\n\(text)\r\n".utf8) }

    static let dictionary: [[UInt8]] = [
        "*", "$", ":", "+", "-", "\r\n", "\n", "*1\r\n", "*2\r\n", "*8\r\n", "*0\r\n", "*-1\r\n", "$-1\r\n", "$0\r\n\r\n",
        "*2147483647\r\n", "*4294967296\r\n", "*9223372036854775807\r\n", "$2147483647\r\n", "$-2\r\n",
        ":-9223372036854775808\r\n", ":9223372036854775807\r\n", ":-1\r\n", "+nan\r\n", "$3\r\ninf\r\n", "$4\r\n-inf\r\n",
        "$6\r\nlength\r\n", "$3\r\nlag\r\n", "$4\r\nname\r\n", "$7\r\npending\r\n", "$12\r\nentries-read\r\n", "$4\r\nidle\r\n",
        "$9\r\nmaxmemory\r\n", "$26\r\nclient-output-buffer-limit\r\n", "$9\r\ndatabases\r\n", "$11\r\nrequirepass\r\n",
        "id=", " addr=", " age=", " idle=", " name=", "=", " ", ":", ",", "# Keyspace\r\n", "# Commandstats\r\n",
        "# Latencystats\r\n", "# Replication\r\n", "db0:keys=", "cmdstat_get:calls=", "latency_percentiles_usec_x:p",
        "slave0:ip=", "errorstat_ERR:count=", "uptime_in_seconds:", "role:slave\r\n", "nan", "-inf", "1e999",
    ].map { Array($0.utf8) }

    /// Families that count or time something: never below zero.
    static let nonNegative = ["redis_stream_", "redis_connected_clients_", "redis_config_client_output_buffer_limit",
                              "redis_config_maxmemory", "redis_config_maxclients", "redis_config_io_threads", "redis_latency_",
                              "redis_commands_", "redis_slowlog_", "redis_last_slow_execution", "bullmq_", "redis_key_size",
                              "redis_errors_total", "redis_start_time_seconds"]

    /// Every reader on every reply (a reply fed to the reader of another command is hostile
    /// input too); the problems found, empty when none.
    static func exercise(_ bytes: [UInt8]) -> [String] {
        let parsed: [RedisReply]
        do {
            parsed = try HiredisConnection.parseReplies(bytes, maxReplies: 64).replies
        } catch {
            return error.message.isEmpty ? ["a protocol error without a message"] : []
        }
        var b = FamilyBuilder(namespace: "redis")
        var databases = 16
        for reply in parsed {
            let stream = Streams.stream(reply)
            let groups = Streams.groups(reply)
            let consumers = Streams.consumers(reply)
            if let stream {
                Streams.add(db: 1, key: "s", stream, groups: groups.map { ($0, consumers) }, to: &b)
            }
            if let n = CommandFamilies.config(reply, allSettings: true, to: &b), n > 0 { databases = n }
            CommandFamilies.latencyLatest(reply, to: &b)
            CommandFamilies.latencyHistogram(reply, usecByCommand: ["get": 12], to: &b)
            CommandFamilies.slowlog(length: reply, last: reply, to: &b)
            if let text = reply.text {
                ClientList.add(ClientList.parse(text), details: true, byName: true, maxNames: 4, now: 1_800_000_000, to: &b)
                InfoFamilies.add(RedisInfo(parsing: text), to: &b, databases: databases, includeEmptyDatabases: true, now: 1_800_000_000)
                InfoFamilies.addClusterInfo(text, to: &b)
            }
            for type in ["none", "string", "list", "hash", "stream"] {
                if let r = KeyChecks.result(type: type, Array(parsed.prefix(2)), pfcount: parsed.last) {
                    KeyChecks.add(db: 0, key: "k", r, stringValues: true, to: &b)
                }
            }
        }
        let queue = BullMQ.Queue(db: 0, prefix: "bull", name: "mail")
        for start in stride(from: 0, to: max(0, parsed.count - BullMQ.commandsPerQueue + 1), by: 1).prefix(8) {
            if let counts = BullMQ.counts(parsed[start..<(start + BullMQ.commandsPerQueue)]) {
                BullMQ.add(queue, counts, oldestAge: BullMQ.oldestAge(timestamps: parsed, now: 1_800_000_000), to: &b)
            }
        }
        return problems(b.families)
    }

    static func problems(_ families: [MetricFamily]) -> [String] {
        var out: [String] = []
        for f in families {
            for s in f.samples {
                if !s.value.isFinite { out.append("\(f.name)\(s.suffix) is \(s.value)") }
                if s.value < 0, nonNegative.contains(where: { f.name.hasPrefix($0) }) { out.append("\(f.name)\(s.suffix) is \(s.value)") }
                if f.name == "redis_config_key_value" || f.name == "redis_config_value", let key = s.labels["key"], CommandFamilies.isSecret(key) {
                    out.append("the secret setting \(key) is exported")
                }
            }
        }
        let text = String(decoding: ExpositionRenderer.render(families, format: .text), as: UTF8.self)
        do {
            _ = try ExpositionParser.parse(text)
        } catch {
            out.append("the rendered families do not parse: \(error)")
        }
        return out
    }

    @Test("the recorded replies parse into every family they should")
    func seedsParse() throws {
        #expect(Self.seeds.count >= 11)
        for (name, bytes) in Self.seeds {
            let (replies, complete) = try HiredisConnection.parseReplies(bytes, maxReplies: 64)
            #expect(complete && !replies.isEmpty, "\(name)")
            #expect(Self.exercise(bytes).isEmpty, "\(name)")
        }
        let stream = try HiredisConnection.parseReplies(try #require(Self.seeds.first { $0.name == "xinfo-stream.resp" }).bytes, maxReplies: 1)
        #expect(Streams.stream(stream.replies[0])?.length == 4)
        let counts = try HiredisConnection.parseReplies(try #require(Self.seeds.first { $0.name == "bullmq-counts.resp" }).bytes, maxReplies: 64)
        #expect(BullMQ.counts(counts.replies[0..<BullMQ.commandsPerQueue])?.jobs["wait"] == 2)
    }

    @Test("an array announcing more than a million elements is refused before anything is allocated")
    func hugeArrays() {
        // Found by this fuzz run: hiredis 0.14 allocated 16 GiB per `*2147483647` level and, freeing
        // the unfinished reply, visited every announced slot (over 10 s for seven levels).
        let started = ContinuousClock.now
        let nested = Array((":1\r\n" + String(repeating: "*2147483647\r\n", count: 7)).utf8)
        #expect(throws: RedisConnectionError.self) { try HiredisConnection.parseReplies(nested, maxReplies: 4) }
        #expect(ContinuousClock.now - started < .seconds(1))
        let atCap = Array("*\(HiredisConnection.maxArrayElements)\r\n".utf8)
        #expect((try? HiredisConnection.parseReplies(atCap, maxReplies: 1))?.complete == false, "at the cap: accepted, unfinished")
        do {
            _ = try HiredisConnection.parseReplies(Array("*\(HiredisConnection.maxArrayElements + 1)\r\n".utf8), maxReplies: 1)
            Issue.record("an array over the cap was accepted")
        } catch {
            #expect(error.message.contains("too large"), "\(error.message)")
        }
    }

    @Test("a reply nested deeper than hiredis' 7 levels, or with an unknown type byte, is a thrown protocol error")
    func protocolErrors() {
        let deep = Array((String(repeating: "*1\r\n", count: 9) + ":1\r\n").utf8)
        #expect(throws: RedisConnectionError.self) { try HiredisConnection.parseReplies(deep, maxReplies: 1) }
        #expect(throws: RedisConnectionError.self) { try HiredisConnection.parseReplies(Array("?what\r\n".utf8), maxReplies: 1) }
        #expect((try? HiredisConnection.parseReplies(Array("*3\r\n:1\r\n".utf8), maxReplies: 1))?.complete == false)
        #expect((try? HiredisConnection.parseReplies(Array(":12".utf8), maxReplies: 1))?.complete == false)
        #expect((try? HiredisConnection.parseReplies(Array("*1\r\n:1\r\n".utf8), maxReplies: 1))?.complete == true)
    }

    @Test("negative and non-finite numbers in replies are never exported")
    func rangeChecks() throws {
        func families(_ resp: String) -> [MetricFamily] {
            var b = FamilyBuilder(namespace: "redis")
            let replies = (try? HiredisConnection.parseReplies(Array(resp.utf8), maxReplies: 64).replies) ?? []
            for r in replies {
                if let s = Streams.stream(r) { Streams.add(db: 0, key: "s", s, groups: [], to: &b) }
                CommandFamilies.config(r, to: &b)
                if let t = r.text { InfoFamilies.add(RedisInfo(parsing: t), to: &b, databases: 0, includeEmptyDatabases: false, now: 100) }
            }
            return b.families
        }
        #expect(families("*4\r\n$6\r\nlength\r\n:-3\r\n$6\r\ngroups\r\n:1\r\n")["redis_stream_length"] == nil)
        let config = families("*4\r\n$9\r\nmaxmemory\r\n$3\r\nnan\r\n$9\r\nmaxclients\r\n$2\r\n-5\r\n")
        #expect(config["redis_config_maxmemory"] == nil && config["redis_config_maxclients"] == nil)
        let info = families(String(decoding: Self.bulk("# Server\r\nuptime_in_seconds:inf\r\nused_memory:nan\r\nmem_fragmentation_bytes:-7\r\n"), as: UTF8.self))
        #expect(info["redis_start_time_seconds"] == nil && info["redis_memory_used_bytes"] == nil)
        #expect(info.value("redis_mem_fragmentation_bytes") == -7, "a gauge may be negative; it must be finite")
        #expect(BullMQ.counts([RedisReply](repeating: .integer(Int64.min), count: BullMQ.commandsPerQueue)[...]) == nil)
        #expect(BullMQ.oldestAge(timestamps: [.string(Array("-inf".utf8)), .string(Array("nan".utf8))], now: 100) == 0)
    }

    @Test("the findings replay without a problem")
    func findingsReplay() {
        Fuzzing.replay(Self.findings, slowerThan: .seconds(2), Self.exercise)
    }

    @Test("mutated Redis replies never crash, hang or export a wrong number")
    func mutations() {
        Fuzzing.mutationRun("Redis reply", seeds: Self.seeds, dictionary: Self.dictionary, seed: 0x5EED_0000_7ED1, cases: 1_200,
                            slowerThan: .seconds(2), Self.exercise)
    }
}
