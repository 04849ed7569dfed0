import Foundation
import Testing
@testable import Notify

@Suite("Retry policy and outbox")
struct RetryPolicyTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)
    let policy = RetryPolicy(settings: DeliverySettings(maxAge: 3600, initialBackoff: 1, maxBackoff: 60, concurrency: 1))

    @Test("2xx delivers; 5xx and no answer back off exponentially with jitter; other 4xx give up")
    func decisions() {
        let t0 = Self.t0
        #expect(policy.decide(status: 204, retryAfter: nil, attempts: 1, createdAt: t0, now: t0, jitter: 0.5) == .delivered)
        #expect(policy.decide(status: 500, retryAfter: nil, attempts: 1, createdAt: t0, now: t0, jitter: 0) == .retry(at: t0.addingTimeInterval(0.5)))
        #expect(policy.decide(status: 500, retryAfter: nil, attempts: 3, createdAt: t0, now: t0, jitter: 1) == .retry(at: t0.addingTimeInterval(4)))
        #expect(policy.decide(status: nil, retryAfter: nil, attempts: 20, createdAt: t0, now: t0, jitter: 1) == .retry(at: t0.addingTimeInterval(60)))
        #expect(policy.decide(status: 400, retryAfter: nil, attempts: 1, createdAt: t0, now: t0, jitter: 0) == .giveUp(reason: "HTTP 400"))
        #expect(policy.decide(status: 404, retryAfter: "5", attempts: 1, createdAt: t0, now: t0, jitter: 0) == .giveUp(reason: "HTTP 404"))
        #expect(policy.decide(status: 408, retryAfter: nil, attempts: 1, createdAt: t0, now: t0, jitter: 0) == .retry(at: t0.addingTimeInterval(0.5)))
        // Jitter stays within [half, full] of the doubled delay.
        for j in stride(from: 0.0, through: 1.0, by: 0.1) {
            let d = policy.backoff(attempts: 4, jitter: j)
            #expect(d >= 4 && d <= 8)
        }
    }

    @Test("Retry-After on 429 and 503, as seconds or HTTP-date; max age gives up")
    func retryAfter() {
        let t0 = Self.t0
        #expect(policy.decide(status: 429, retryAfter: "7", attempts: 1, createdAt: t0, now: t0, jitter: 0) == .retry(at: t0.addingTimeInterval(7)))
        // 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT.
        #expect(policy.decide(status: 503, retryAfter: "Tue, 14 Nov 2023 22:13:50 GMT", attempts: 1, createdAt: t0, now: t0, jitter: 0)
                == .retry(at: t0.addingTimeInterval(30)))
        #expect(RetryPolicy.retryAfter("Tuesday, 14-Nov-23 22:13:50 GMT", now: t0) == t0.addingTimeInterval(30))
        #expect(RetryPolicy.retryAfter("Tue Nov 14 22:13:50 2023", now: t0) == t0.addingTimeInterval(30))
        #expect(RetryPolicy.retryAfter("soon", now: t0) == nil)
        // An unparsable Retry-After falls back to backoff.
        #expect(policy.decide(status: 503, retryAfter: "soon", attempts: 1, createdAt: t0, now: t0, jitter: 0) == .retry(at: t0.addingTimeInterval(0.5)))
        // Past max age: give up.
        if case .giveUp(let reason) = policy.decide(status: 429, retryAfter: "7200", attempts: 1, createdAt: t0, now: t0, jitter: 0) {
            #expect(reason.contains("max_age"))
        } else { Issue.record("expected give up") }
        if case .giveUp = policy.decide(status: 500, retryAfter: nil, attempts: 9, createdAt: t0, now: t0.addingTimeInterval(3590), jitter: 1) {} else {
            Issue.record("expected give up after max age")
        }
    }

    @Test("outbox entries are durable files; partial writes and corrupt files are handled")
    func outbox() throws {
        let dir = TestState.directory()
        let box = try Outbox(stateDirectory: dir)
        var e = OutboxEntry(id: "1-a", receiver: "r", integration: "r/webhook/0", payload: Data("{\"x\":1}".utf8),
                            headers: [HTTPHeader("Content-Type", "application/json")], idempotencyKey: "k1", groupKey: "g", createdAt: Self.t0)
        try box.put(e)
        e.attempts = 2
        e.lastError = "HTTP 500"
        try box.put(e)
        try box.put(OutboxEntry(id: "2-b", receiver: "r", integration: "r/webhook/0", payload: Data(), headers: [],
                                idempotencyKey: "k2", groupKey: "g", createdAt: Self.t0.addingTimeInterval(1)))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/outbox").sorted()
        #expect(files == ["1-a.json", "2-b.json"])
        let attrs = try FileManager.default.attributesOfItem(atPath: dir + "/outbox/1-a.json")
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        // A crash mid-write leaves a .tmp; garbage is moved aside.
        _ = FileManager.default.createFile(atPath: dir + "/outbox/3-c.json.tmp", contents: Data("{".utf8))
        _ = FileManager.default.createFile(atPath: dir + "/outbox/4-d.json", contents: Data("not json".utf8))
        let reopened = try Outbox(stateDirectory: dir)
        #expect(reopened.entries.map(\.id) == ["1-a", "2-b"])
        #expect(reopened.entries.first == e)
        #expect(reopened.corrupt == ["4-d.json"])
        #expect(reopened.oldestCreatedAt == Self.t0)
        try reopened.remove(id: "1-a")
        try reopened.remove(id: "nope")
        #expect(try Outbox(stateDirectory: dir).entries.map(\.id) == ["2-b"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/outbox").sorted() == ["2-b.json", "4-d.json.corrupt"])
    }
}
