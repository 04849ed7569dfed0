import VigilCore

/// Redis streams as redis_exporter's `check-streams` exports them, from the replies of
/// `XINFO STREAM`, `XINFO GROUPS` and `XINFO CONSUMERS`. Pure.
///
/// Families (labels `db`, `stream`; `group`; `consumer`): `redis_stream_length`,
/// `…_radix_tree_keys`, `…_radix_tree_nodes`, `…_groups`, `…_last_generated_id`,
/// `…_first_entry_id`, `…_last_entry_id`, `…_max_deleted_entry_id` (ids as the millisecond
/// part of the entry id, 0 when absent), `redis_stream_group_consumers`,
/// `…_messages_pending`, `…_last_delivered_id`, `…_entries_read`, `…_lag` (Redis 7+; not
/// exported while Redis cannot tell the lag), `redis_stream_group_consumer_messages_pending`,
/// `…_idle_seconds`.
enum Streams {
    struct Stream: Sendable, Equatable {
        var length: Double
        var radixTreeKeys: Double
        var radixTreeNodes: Double
        var groups: Double
        var lastGeneratedID: String
        var maxDeletedEntryID: String
        var firstEntryID: String
        var lastEntryID: String
    }

    struct Group: Sendable, Equatable {
        var name: String
        var consumers: Double
        var pending: Double
        var lastDeliveredID: String
        var entriesRead: Double?
        var lag: Double?
    }

    struct Consumer: Sendable, Equatable {
        var name: String
        var pending: Double
        var idleMilliseconds: Double
    }

    /// The fields of a flat `[name, value, name, value, …]` reply.
    static func fields(_ reply: RedisReply) -> [String: RedisReply]? {
        guard let items = reply.array, items.count % 2 == 0 else { return nil }
        var out: [String: RedisReply] = [:]
        var i = 0
        while i + 1 < items.count {
            if let k = items[i].text { out[k] = items[i + 1] }
            i += 2
        }
        return out
    }

    /// `XINFO STREAM key`; nil when the reply is not a stream's (WRONGTYPE, a missing key, a
    /// negative length). Every count is a `RedisReply.count`: a negative one reads as absent.
    static func stream(_ reply: RedisReply) -> Stream? {
        guard let f = fields(reply), let length = f["length"]?.count else { return nil }
        func entryID(_ r: RedisReply?) -> String { r?.array?.first?.text ?? "" }
        return Stream(length: Double(length),
                      radixTreeKeys: Double(f["radix-tree-keys"]?.count ?? 0),
                      radixTreeNodes: Double(f["radix-tree-nodes"]?.count ?? 0),
                      groups: Double(f["groups"]?.count ?? 0),
                      lastGeneratedID: f["last-generated-id"]?.text ?? "",
                      maxDeletedEntryID: f["max-deleted-entry-id"]?.text ?? "",
                      firstEntryID: entryID(f["first-entry"]),
                      lastEntryID: entryID(f["last-entry"]))
    }

    /// `XINFO GROUPS key`: the groups in the server's order (malformed entries skipped).
    static func groups(_ reply: RedisReply) -> [Group] {
        (reply.array ?? []).compactMap { g in
            guard let f = fields(g), let name = f["name"]?.text else { return nil }
            return Group(name: name, consumers: Double(f["consumers"]?.count ?? 0), pending: Double(f["pending"]?.count ?? 0),
                         lastDeliveredID: f["last-delivered-id"]?.text ?? "",
                         entriesRead: f["entries-read"]?.count.map(Double.init), lag: f["lag"]?.count.map(Double.init))
        }
    }

    /// `XINFO CONSUMERS key group`.
    static func consumers(_ reply: RedisReply) -> [Consumer] {
        (reply.array ?? []).compactMap { c in
            guard let f = fields(c), let name = f["name"]?.text else { return nil }
            return Consumer(name: name, pending: Double(f["pending"]?.count ?? 0), idleMilliseconds: Double(f["idle"]?.count ?? 0))
        }
    }

    /// The millisecond part of an entry id (`1700000000000-3` → 1.7e12); 0 for none.
    static func milliseconds(_ id: String) -> Double {
        guard let head = id.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).first, let v = Double(head), v.isFinite, v >= 0 else { return 0 }
        return v
    }

    static func add(db: Int, key: String, _ s: Stream, groups: [(Group, [Consumer])], to b: inout FamilyBuilder) {
        let base: Labels = ["db": "db\(db)", "stream": key]
        b.gauge("stream_length", s.length, base, help: "The number of elements of the stream")
        b.gauge("stream_radix_tree_keys", s.radixTreeKeys, base, help: "Radix tree keys count")
        b.gauge("stream_radix_tree_nodes", s.radixTreeNodes, base, help: "Radix tree nodes count")
        b.gauge("stream_last_generated_id", milliseconds(s.lastGeneratedID), base,
                help: "The epoch timestamp (ms) of the latest message on the stream")
        b.gauge("stream_groups", s.groups, base, help: "Groups count of stream")
        b.gauge("stream_max_deleted_entry_id", milliseconds(s.maxDeletedEntryID), base,
                help: "The epoch timestamp (ms) of last message was deleted from the stream")
        b.gauge("stream_first_entry_id", milliseconds(s.firstEntryID), base,
                help: "The epoch timestamp (ms) of the first message in the stream")
        b.gauge("stream_last_entry_id", milliseconds(s.lastEntryID), base,
                help: "The epoch timestamp (ms) of the last message in the stream")
        for (g, consumers) in groups {
            let gl = base.appending("group", g.name)
            b.gauge("stream_group_consumers", g.consumers, gl, help: "Consumers count of stream group")
            b.gauge("stream_group_messages_pending", g.pending, gl, help: "Pending number of messages in that stream group")
            b.gauge("stream_group_last_delivered_id", milliseconds(g.lastDeliveredID), gl,
                    help: "The epoch timestamp (ms) of the last delivered message")
            if let n = g.entriesRead {
                b.gauge("stream_group_entries_read", n, gl, help: "Total number of entries read from the stream group")
            }
            if let lag = g.lag {
                b.gauge("stream_group_lag", lag, gl, help: "The number of messages waiting to be delivered to the stream group's consumers")
            }
            for c in consumers {
                let cl = gl.appending("consumer", c.name)
                b.gauge("stream_group_consumer_messages_pending", c.pending, cl,
                        help: "Pending number of messages for this specific consumer")
                b.gauge("stream_group_consumer_idle_seconds", c.idleMilliseconds / 1e3, cl, help: "Consumer idle time in seconds")
            }
        }
    }
}

/// A `dbN=key` argument as redis_exporter's `check-keys`, `check-streams` … take them
/// (`key` alone means db 0).
public struct RedisKeyArgument: Sendable, Hashable {
    public var db: Int
    public var key: String

    public init(db: Int, key: String) {
        self.db = db
        self.key = key
    }

    /// nil when the text is empty or its `dbN=` part is not a database number in `range`.
    public static func parse(_ text: String, range: ClosedRange<Int>) -> RedisKeyArgument? {
        guard !text.isEmpty else { return nil }
        if let eq = text.firstIndex(of: "="), text.hasPrefix("db") {
            let n = text[text.index(text.startIndex, offsetBy: 2)..<eq]
            guard let db = Int(n), range.contains(db) else { return nil }
            let key = String(text[text.index(after: eq)...])
            return key.isEmpty ? nil : RedisKeyArgument(db: db, key: key)
        }
        return RedisKeyArgument(db: 0, key: text)
    }
}
