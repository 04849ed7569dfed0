/// Plans incremental `SCAN` passes for several jobs under one keys-per-second budget.
/// Pure: time (monotonic seconds) is an argument; the caller does the IO and reports back.
///
/// Each job scans one database with one MATCH pattern. A pass starts when the job is due
/// (every `interval` seconds from the start of the previous pass), walks the cursor to 0 and
/// then publishes its count. Every SCAN step costs `count` tokens; tokens refill at
/// `keysPerSecond` and accumulate for at most `burstSeconds`, so the average rate of keys
/// examined never exceeds the budget however often the caller asks.
struct KeyScanPlanner: Sendable {
    struct Job: Sendable, Hashable {
        var db: Int
        var match: String
    }

    struct Step: Sendable, Equatable {
        var job: Int
        var db: Int
        var match: String
        var cursor: String
        var count: Int
    }

    struct JobState: Sendable {
        var job: Job
        /// Cursor of the pass in progress; nil between passes.
        var cursor: String?
        var partialCount = 0
        var passStartedAt = 0.0
        var nextPassAt: Double
        /// Result of the last complete pass.
        var lastCount: Int?
        var lastCompletedAt: Double?
        var lastPassDuration: Double?
        var passesCompleted = 0
    }

    private(set) var jobs: [JobState]
    let interval: Double
    let keysPerSecond: Double
    let count: Int
    let burstSeconds: Double
    private(set) var tokens: Double
    private var lastRefill: Double?
    private var nextJob = 0

    init(jobs: [Job], interval: Double, keysPerSecond: Double, count: Int, burstSeconds: Double = 60, now: Double) {
        self.jobs = jobs.map { JobState(job: $0, nextPassAt: now) }
        self.interval = max(0, interval)
        self.keysPerSecond = max(1, keysPerSecond)
        self.count = max(1, count)
        self.burstSeconds = max(1, burstSeconds)
        // Enough for one second of work (and at least one step) right away.
        self.tokens = max(Double(self.count), self.keysPerSecond)
        self.lastRefill = now
    }

    private var capacity: Double { max(Double(count), keysPerSecond * burstSeconds) }

    private mutating func refill(_ now: Double) {
        if let last = lastRefill, now > last {
            tokens = min(capacity, tokens + (now - last) * keysPerSecond)
        }
        lastRefill = max(lastRefill ?? now, now)
    }

    /// The next SCAN to run, or nil when nothing is due or the budget is spent for now.
    mutating func nextStep(now: Double) -> Step? {
        refill(now)
        guard tokens >= Double(count), !jobs.isEmpty else { return nil }
        for offset in 0..<jobs.count {
            let i = (nextJob + offset) % jobs.count
            if jobs[i].cursor == nil {
                guard now >= jobs[i].nextPassAt else { continue }
                jobs[i].cursor = "0"
                jobs[i].partialCount = 0
                jobs[i].passStartedAt = now
            }
            guard let cursor = jobs[i].cursor else { continue }
            tokens -= Double(count)
            nextJob = (i + 1) % jobs.count
            return Step(job: i, db: jobs[i].job.db, match: jobs[i].job.match, cursor: cursor, count: count)
        }
        return nil
    }

    /// Records the reply of `step`. Returns true when it completed a pass.
    @discardableResult
    mutating func finish(_ step: Step, nextCursor: String, matched: Int, now: Double) -> Bool {
        guard jobs.indices.contains(step.job), jobs[step.job].cursor == step.cursor else { return false }
        jobs[step.job].partialCount += matched
        guard nextCursor == "0" else {
            jobs[step.job].cursor = nextCursor
            return false
        }
        let started = jobs[step.job].passStartedAt
        jobs[step.job].cursor = nil
        jobs[step.job].lastCount = jobs[step.job].partialCount
        jobs[step.job].lastCompletedAt = now
        jobs[step.job].lastPassDuration = now - started
        jobs[step.job].passesCompleted += 1
        jobs[step.job].nextPassAt = max(started + interval, now)
        return true
    }

    /// Abandons the pass of `step` (SCAN refused, connection lost): it restarts from cursor 0
    /// when next due, at most `interval` seconds later. The last complete result is kept.
    mutating func fail(_ step: Step, now: Double) {
        guard jobs.indices.contains(step.job) else { return }
        jobs[step.job].cursor = nil
        jobs[step.job].partialCount = 0
        jobs[step.job].nextPassAt = now + min(interval, 10)
    }

    /// Abandons every pass in progress (after a reconnect cursors are still valid in Redis,
    /// but a pass that was cut by a failure is simpler and safer to restart).
    mutating func resetPasses(now: Double) {
        for i in jobs.indices where jobs[i].cursor != nil {
            jobs[i].cursor = nil
            jobs[i].partialCount = 0
            jobs[i].nextPassAt = now
        }
    }
}
