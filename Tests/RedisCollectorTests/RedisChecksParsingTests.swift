import Testing
import VigilCore
@testable import RedisCollector

/// The pure readers behind check_streams, check_keys, the client list and the config families.
@Suite("Stream, key, client list and config readers")
struct RedisChecksParsingTests {
    static func s(_ t: String) -> RedisReply { .string(Array(t.utf8)) }

    @Test("XINFO STREAM, GROUPS and CONSUMERS replies become redis_exporter's values")
    func streams() throws {
        let info: RedisReply = .array([
            Self.s("length"), .integer(5), Self.s("radix-tree-keys"), .integer(1), Self.s("radix-tree-nodes"), .integer(2),
            Self.s("last-generated-id"), Self.s("1700000000123-4"), Self.s("max-deleted-entry-id"), Self.s("0-0"),
            Self.s("entries-added"), .integer(5), Self.s("recorded-first-entry-id"), Self.s("1700000000000-0"),
            Self.s("groups"), .integer(2),
            Self.s("first-entry"), .array([Self.s("1700000000000-0"), .array([Self.s("n"), Self.s("0")])]),
            Self.s("last-entry"), .array([Self.s("1700000000123-4"), .array([Self.s("n"), Self.s("4")])]),
        ])
        let stream = try #require(Streams.stream(info))
        #expect(stream.length == 5 && stream.groups == 2 && stream.radixTreeNodes == 2)
        #expect(Streams.milliseconds(stream.firstEntryID) == 1_700_000_000_000)
        #expect(Streams.milliseconds(stream.lastGeneratedID) == 1_700_000_000_123)
        #expect(Streams.milliseconds("") == 0 && Streams.milliseconds("garbage") == 0 && Streams.milliseconds("-5-1") == 0)
        #expect(Streams.stream(.error("WRONGTYPE Operation against a key holding the wrong kind of value")) == nil)
        #expect(Streams.stream(.array([Self.s("length")])) == nil, "an odd field list is refused")

        let groups = Streams.groups(.array([
            .array([Self.s("name"), Self.s("billing"), Self.s("consumers"), .integer(2), Self.s("pending"), .integer(3),
                    Self.s("last-delivered-id"), Self.s("1700000000100-0"), Self.s("entries-read"), .integer(4), Self.s("lag"), .integer(1)]),
            .array([Self.s("name"), Self.s("unknown-lag"), Self.s("lag"), .null]),
            .integer(7),
        ]))
        #expect(groups.count == 2)
        #expect(groups[0] == .init(name: "billing", consumers: 2, pending: 3, lastDeliveredID: "1700000000100-0", entriesRead: 4, lag: 1))
        #expect(groups[1].lag == nil, "Redis cannot always tell the lag: no series then")
        let consumers = Streams.consumers(.array([.array([Self.s("name"), Self.s("w1"), Self.s("pending"), .integer(2), Self.s("idle"), .integer(1500)])]))
        #expect(consumers == [.init(name: "w1", pending: 2, idleMilliseconds: 1500)])

        var b = FamilyBuilder(namespace: "redis")
        Streams.add(db: 3, key: "s", stream, groups: [(groups[0], consumers), (groups[1], [])], to: &b)
        let f = b.families
        #expect(f.value("redis_stream_group_consumer_idle_seconds", ["db": "db3", "stream": "s", "group": "billing", "consumer": "w1"]) == 1.5)
        #expect(f.value("redis_stream_group_lag", ["group": "billing"]) == 1)
        #expect(f["redis_stream_group_lag"]?.samples.count == 1)
    }

    @Test("dbN=key arguments: the database is range-checked, a bare key is in db 0")
    func keyArguments() {
        #expect(RedisKeyArgument.parse("db3=orders:*", range: 0...15) == .init(db: 3, key: "orders:*"))
        #expect(RedisKeyArgument.parse("orders", range: 0...15) == .init(db: 0, key: "orders"))
        #expect(RedisKeyArgument.parse("db99=x", range: 0...15) == nil)
        #expect(RedisKeyArgument.parse("db1=", range: 0...15) == nil)
        #expect(RedisKeyArgument.parse("dbx=y", range: 0...15) == nil)
        #expect(RedisKeyArgument.parse("", range: 0...15) == nil)
        #expect(KeyChecks.isPattern("a:*") && KeyChecks.isPattern("a?") && !KeyChecks.isPattern("plain:key"))
    }

    @Test("key sizes by type, numbers only when finite, long strings not read")
    func keys() {
        #expect(KeyChecks.result(type: "none", []) == .init(size: 0))
        #expect(KeyChecks.result(type: "list", [.integer(3)]) == .init(size: 3))
        #expect(KeyChecks.result(type: "string", [.integer(4), Self.s("42.5")]) == .init(size: 4, number: 42.5))
        #expect(KeyChecks.result(type: "string", [.integer(3), Self.s("inf")]) == .init(size: 3, text: "inf"))
        #expect(KeyChecks.result(type: "string", [.integer(5000), Self.s("12")]) == .init(size: 5000), "only the length of a long string")
        #expect(KeyChecks.result(type: "string", [.integer(20), Self.s("HYLL…")], pfcount: .integer(4)) == .init(size: 4))
        #expect(KeyChecks.result(type: "hash", [.error("WRONGTYPE")]) == nil)
        #expect(KeyChecks.result(type: "ReJSON-RL", []) == nil)
        #expect(KeyChecks.sizeCommands(key: "k", type: "zset") == [["ZCARD", "k"]])
    }

    @Test("CLIENT LIST: details per client, counts per name capped with the rest as other")
    func clients() {
        let text = """
        id=3 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=8 name=app age=10 idle=2 flags=N db=0 omem=0 cmd=get user=default resp=2
        id=4 addr=[::1]:5001 fd=9 name=app age=5 idle=5 flags=N db=1 omem=0 cmd=set user=default resp=2
        id=5 addr=127.0.0.1:5002 fd=10 name= age=1 idle=0 flags=N db=0 omem=0 cmd=client|list user=default resp=2
        id=6 addr=127.0.0.1:5003 fd=11 name=worker age=1 idle=0 flags=N db=0 omem=0 cmd=blpop user=default resp=2
        garbage line
        """
        let clients = ClientList.parse(text)
        #expect(clients.count == 4)
        #expect(ClientList.byName(clients, maxNames: 10).map(\.name) == ["", "app", "worker"])
        let capped = ClientList.byName(clients, maxNames: 1)
        #expect(capped.map(\.name) == ["app", "other"] && capped.map(\.count) == [2, 2])
        var b = FamilyBuilder(namespace: "redis")
        ClientList.add(clients, details: true, byName: false, maxNames: 1, now: 1000, to: &b)
        let f = b.families
        #expect(f["redis_connected_clients_details"]?.samples.count == 4)
        #expect(f.value("redis_connected_clients_details", ["name": "app", "host": "[::1]", "created_at": "995", "idle_since": "995", "db": "1"]) == 1)
        #expect(f["redis_connected_clients_by_name"] == nil)
    }

    @Test("config settings: the dashboard's by default, every one on request, secrets never")
    func config() {
        let reply: RedisReply = .array(["maxmemory-policy", "allkeys-lru", "requirepass", "hunter2", "masterauth", "x", "hz", "10",
                                        "save", "3600 1 300 100", "timeout", "0", "databases", "16"].map { Self.s($0) })
        var b = FamilyBuilder(namespace: "redis")
        #expect(CommandFamilies.config(reply, to: &b) == 16)
        let f = b.families
        #expect(f.value("redis_config_key_value", ["key": "maxmemory-policy", "value": "allkeys-lru"]) == 1)
        #expect(f.value("redis_config_key_value", ["key": "save", "value": "3600 1 300 100"]) == 1)
        #expect(f.value("redis_config_value", ["key": "timeout"]) == 0)
        #expect(f.value("redis_config_key_value", ["key": "hz"]) == nil)
        var all = FamilyBuilder(namespace: "redis")
        CommandFamilies.config(reply, allSettings: true, to: &all)
        #expect(all.families.value("redis_config_value", ["key": "hz"]) == 10)
        let text = String(decoding: ExpositionRenderer.render(all.families, format: .text), as: UTF8.self)
        #expect(!text.contains("hunter2") && !text.contains("requirepass") && !text.contains("masterauth"))
    }
}
