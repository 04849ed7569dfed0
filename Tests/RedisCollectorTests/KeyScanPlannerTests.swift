import Testing
@testable import RedisCollector

@Suite("SCAN planner: passes, cadence and keys-per-second budget")
struct KeyScanPlannerTests {
    @Test("a pass walks the cursor to 0, then publishes its count and waits for the next interval")
    func pass() throws {
        var p = KeyScanPlanner(jobs: [.init(db: 0, match: "session:*")], interval: 60, keysPerSecond: 10_000, count: 100, now: 0)
        let r1 = p.nextStep(now: 0)
        let s1 = try #require(r1)
        #expect(s1 == .init(job: 0, db: 0, match: "session:*", cursor: "0", count: 100))
        let r2 = p.finish(s1, nextCursor: "17", matched: 3, now: 0.1)
        #expect(!r2)
        let r3 = p.nextStep(now: 0.2)
        let s2 = try #require(r3)
        #expect(s2.cursor == "17")
        let r4 = p.finish(s2, nextCursor: "0", matched: 4, now: 0.3)
        #expect(r4)
        #expect(p.jobs[0].lastCount == 7)
        #expect(p.jobs[0].lastCompletedAt == 0.3)
        let r5 = p.nextStep(now: 30)
        #expect(r5 == nil)
        let r6 = p.nextStep(now: 60)
        let s3 = try #require(r6)
        #expect(s3.cursor == "0")
        // The previous result stays published while the new pass runs.
        #expect(p.jobs[0].lastCount == 7)
    }

    @Test("the budget caps keys examined per second however often the caller asks")
    func budget() {
        var p = KeyScanPlanner(jobs: [.init(db: 0, match: "*")], interval: 0, keysPerSecond: 1000, count: 100, now: 0)
        var steps = 0
        var t = 0.0
        // Ask 1000 times per second for 10 seconds; every SCAN returns a non-zero cursor.
        while t < 10 {
            while let s = p.nextStep(now: t) {
                steps += 1
                p.finish(s, nextCursor: "5", matched: 0, now: t)
            }
            t += 0.001
        }
        // 1000 keys/s × 10 s plus the initial one-second allowance, in steps of 100 keys.
        #expect(steps >= 100 && steps <= 111, "steps: \(steps)")
    }

    @Test("tokens accumulate for at most the burst window")
    func burst() {
        var p = KeyScanPlanner(jobs: [.init(db: 0, match: "*")], interval: 0, keysPerSecond: 100, count: 100, burstSeconds: 5, now: 0)
        var steps = 0
        while let s = p.nextStep(now: 3600) {
            steps += 1
            p.finish(s, nextCursor: "9", matched: 0, now: 3600)
        }
        #expect(steps == 5)
    }

    @Test("several jobs take turns; a failed pass restarts from cursor 0 and keeps the last result")
    func roundRobinAndFailure() throws {
        var p = KeyScanPlanner(jobs: [.init(db: 0, match: "a*"), .init(db: 1, match: "b*")], interval: 60,
                               keysPerSecond: 1_000_000, count: 10, now: 0)
        let r7 = p.nextStep(now: 0)
        let a = try #require(r7)
        let r8 = p.nextStep(now: 0)
        let b = try #require(r8)
        #expect(a.job == 0 && b.job == 1)
        p.finish(a, nextCursor: "0", matched: 2, now: 0)
        p.finish(b, nextCursor: "3", matched: 1, now: 0)
        let r9 = p.nextStep(now: 1)
        let b2 = try #require(r9)
        #expect(b2.job == 1 && b2.cursor == "3")
        p.fail(b2, now: 1)
        #expect(p.jobs[1].cursor == nil)
        let r10 = p.nextStep(now: 2)
        #expect(r10 == nil)
        let r11 = p.nextStep(now: 11)
        let b3 = try #require(r11)
        #expect(b3.job == 1 && b3.cursor == "0")
        #expect(p.jobs[0].lastCount == 2)
    }

    @Test("a stale reply (cursor no longer current) is ignored")
    func staleReply() throws {
        var p = KeyScanPlanner(jobs: [.init(db: 0, match: "*")], interval: 60, keysPerSecond: 1_000_000, count: 10, now: 0)
        let r12 = p.nextStep(now: 0)
        let s = try #require(r12)
        p.resetPasses(now: 0)
        let r13 = p.finish(s, nextCursor: "0", matched: 5, now: 0)
        #expect(!r13)
        #expect(p.jobs[0].lastCount == nil)
    }
}
