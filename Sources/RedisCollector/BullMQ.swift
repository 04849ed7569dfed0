import VigilCore

/// BullMQ queue state read straight from Redis.
///
/// Key layout followed: BullMQ 5.x (src/classes/queue-keys.ts and the Lua scripts of
/// taskforcesh/bullmq v5, e.g. addStandardJob-9.lua, isQueuePausedOrMaxed.lua):
/// - `<prefix>:<queue>:wait`, `:active`, `:paused` are lists of job ids; new jobs are
///   LPUSHed (FIFO) and workers take from the right, so the oldest waiting job is at index -1;
/// - `:delayed`, `:prioritized`, `:waiting-children`, `:completed`, `:failed` are sorted sets;
/// - `:meta` is a hash; the queue is paused when it has a `paused` field;
/// - a job is the hash `<prefix>:<queue>:<id>` whose `timestamp` field is its creation time in ms.
/// Since BullMQ 5 a paused queue keeps its jobs in `wait` (pause-7.lua sets `meta.paused`);
/// the `paused` list is legacy and still counted. Queues are discovered by SCAN for
/// `<prefix>:*:meta` (BullMQ writes the meta hash when a queue first gets a job).
/// BullMQOracleTests checks every count against BullMQ's own getJobCounts, with the same Lua
/// scripts run by the Python `bullmq` package (3.4.4).
enum BullMQ {
    struct Queue: Sendable, Hashable, Comparable {
        var db: Int
        var prefix: String
        var name: String

        func key(_ suffix: String) -> String { "\(prefix):\(name):\(suffix)" }

        static func < (a: Queue, b: Queue) -> Bool {
            (a.db, a.prefix, a.name) < (b.db, b.prefix, b.name)
        }
    }

    /// States in the order they are exported, with the command that counts each.
    static let states: [(state: String, command: String)] = [
        ("wait", "LLEN"), ("active", "LLEN"), ("paused", "LLEN"),
        ("delayed", "ZCARD"), ("prioritized", "ZCARD"), ("waiting-children", "ZCARD"),
        ("completed", "ZCARD"), ("failed", "ZCARD"),
    ]

    /// The SCAN MATCH pattern that finds the queues under `prefix`. Glob metacharacters in the
    /// prefix are escaped.
    static func discoveryPattern(prefix: String) -> String {
        var escaped = ""
        for c in prefix {
            if "*?[]\\".contains(c) { escaped.append("\\") }
            escaped.append(c)
        }
        return "\(escaped):*:meta"
    }

    /// The queue name of a `<prefix>:<queue>:meta` key, or nil.
    static func queueName(metaKey: [UInt8], prefix: String) -> String? {
        let key = String(decoding: metaKey, as: UTF8.self)
        let head = prefix + ":"
        let tail = ":meta"
        guard key.hasPrefix(head), key.hasSuffix(tail), key.count > head.count + tail.count else { return nil }
        return String(key.dropFirst(head.count).dropLast(tail.count))
    }

    /// Commands of the first round trip for one queue: the eight counts, the paused flag and
    /// the ids at the tail of `wait` and `paused`.
    static func countCommands(_ q: Queue) -> [[String]] {
        states.map { [$0.command, q.key($0.state)] }
            + [["HEXISTS", q.key("meta"), "paused"], ["LINDEX", q.key("wait"), "-1"], ["LINDEX", q.key("paused"), "-1"]]
    }

    static let commandsPerQueue = states.count + 3

    struct Counts: Sendable, Equatable {
        var jobs: [String: Int64]
        var paused: Bool
        /// Ids of the oldest job of `wait` and of `paused`.
        var oldestIDs: [String]
    }

    /// Reads the replies of `countCommands`; nil when they are not what BullMQ's layout gives
    /// (e.g. WRONGTYPE because the keys are not BullMQ's, a negative count, a flag not 0 or 1).
    static func counts(_ replies: ArraySlice<RedisReply>) -> Counts? {
        guard replies.count == commandsPerQueue else { return nil }
        let r = Array(replies)
        var jobs: [String: Int64] = [:]
        for (i, s) in states.enumerated() {
            guard case .integer(let n) = r[i], n >= 0 else { return nil }
            jobs[s.state] = n
        }
        guard case .integer(let paused) = r[states.count], paused == 0 || paused == 1 else { return nil }
        var ids: [String] = []
        // A queue written by BullMQ 4 may still end its wait/paused list with a "0:<ts>" marker;
        // BullMQ 5's getCounts does not count it as a job, and neither do we.
        for (state, reply) in [("wait", r[states.count + 1]), ("paused", r[states.count + 2])] {
            guard let id = reply.text else { continue }
            if id.hasPrefix("0:") {
                jobs[state] = max(0, (jobs[state] ?? 0) - 1)
            } else {
                ids.append(id)
            }
        }
        return Counts(jobs: jobs, paused: paused == 1, oldestIDs: ids)
    }

    /// Age in seconds of the oldest waiting job from the `timestamp` fields (ms) of the tail
    /// jobs (finite, non-negative ones only); 0 when nothing is waiting.
    static func oldestAge(timestamps: [RedisReply], now: Double) -> Double {
        let ms = timestamps.compactMap { $0.text.flatMap(countNumber) }
        guard let oldest = ms.min() else { return 0 }
        return max(0, now - oldest / 1000)
    }

    static func add(_ q: Queue, _ c: Counts, oldestAge: Double, to b: inout FamilyBuilder) {
        let base: Labels = ["db": "db\(q.db)", "prefix": q.prefix, "queue": q.name]
        for s in states {
            b.add("bullmq_queue_jobs", .gauge, Double(c.jobs[s.state] ?? 0), base.appending("state", s.state),
                  help: "Jobs in a BullMQ queue by state (BullMQ 5 key layout).")
        }
        b.add("bullmq_queue_paused", .gauge, c.paused ? 1 : 0, base, help: "Whether the BullMQ queue is paused (meta hash has a paused field).")
        b.add("bullmq_queue_oldest_waiting_job_age_seconds", .gauge, oldestAge, base,
              help: "Age of the oldest job waiting in the queue's wait (or paused) list; 0 when none waits.")
    }
}
