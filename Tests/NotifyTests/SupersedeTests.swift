import Foundation
import Testing
@testable import Notify

/// The latest state of a group wins: an older notification that is still undelivered never
/// reaches the receiver after a newer one of the same group and integration (as in
/// Alertmanager, where each group's pipeline sends its current state).
@Suite("Notifier: newer notifications supersede older undelivered ones", .serialized)
struct SupersedeTests {
    static func config(_ url: String, initialBackoff: String) throws -> NotifyConfig {
        try NotifyConfig.test("""
        route: {receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 1s}
        receivers:
          - name: hook
            webhook_configs:
              - url: \(url)/hook
                send_resolved: true
        delivery: {initial_backoff: \(initialBackoff), max_backoff: 1m}
        """)
    }

    static func status(_ r: CapturedRequest) -> String? { r.object["status"] as? String }

    static func outcomes(_ n: Notifier) -> [String: Double] {
        let samples = n.metricFamilies(at: Date()).first { $0.name == "vigil_notifications_total" }?.samples ?? []
        var out: [String: Double] = [:]
        for s in samples { out[s.labels["outcome"] ?? "", default: 0] += s.value }
        return out
    }

    /// Waits until `seconds` after `start`, so that what should not happen had its chance.
    static func settle(until end: Date) async {
        while Date() < end { try? await Task.sleep(for: .milliseconds(50)) }
    }

    @Test("a firing notification waiting to retry is superseded by the group's resolved one: the receiver ends resolved and never sees firing again")
    func retryingFiringIsSuperseded() async throws {
        // The first attempt fails; everything after succeeds. The retry would come 4 s later,
        // long after the group's next flush (1 s) carries the resolution.
        let receiver = try TestReceiver { _, index in index == 0 ? .respond(status: 503) : .respond(status: 200) }
        defer { receiver.stop() }
        let notifier = try Notifier(config: Self.config(receiver.url, initialBackoff: "8s"), stateDirectory: TestState.directory(),
                                    random: { 0 })
        notifier.start()
        defer { Task { await notifier.shutdown() } }
        let start = Date()
        let alert = NotifierDeliveryTests.alert("QueueBacklog", at: start)
        notifier.receive(alerts: [alert], at: start)
        let first = await receiver.wait(for: 1, timeout: 20)
        try #require(first.count == 1)
        #expect(Self.status(first[0]) == "firing")

        var resolved = alert
        resolved.endsAt = Date()
        notifier.receive(alerts: [resolved], at: Date())
        let two = await receiver.wait(for: 2, timeout: 20)
        try #require(two.count == 2)
        #expect(Self.status(two[1]) == "resolved")

        // Past the moment the firing retry was due (4 s after the first attempt) and then some.
        await Self.settle(until: first[0].arrivedAt.addingTimeInterval(7))
        let all = receiver.requests
        #expect(all.count == 2, "statuses seen: \(all.map { Self.status($0) ?? "-" })")
        #expect(all.last.flatMap(Self.status) == "resolved")
        #expect(notifier.outbox.count == 0)
        let outcomes = Self.outcomes(notifier)
        #expect(outcomes["superseded"] == 1)
        #expect(outcomes["delivered"] == 1)
    }

    @Test("a newer notification waits for an older attempt of its group that is on the wire, so it lands last")
    func inFlightAttemptIsNotOvertaken() async throws {
        // The first attempt is held open for 2.5 s and then dropped without an answer.
        let receiver = try TestReceiver { _, index in index == 0 ? .hold(seconds: 2.5) : .respond(status: 200) }
        defer { receiver.stop() }
        let notifier = try Notifier(config: Self.config(receiver.url, initialBackoff: "1s"), stateDirectory: TestState.directory(),
                                    random: { 0 })
        notifier.start()
        defer { Task { await notifier.shutdown() } }
        let start = Date()
        let alert = NotifierDeliveryTests.alert("ReplicaLag", at: start)
        notifier.receive(alerts: [alert], at: start)
        let first = await receiver.wait(for: 1, timeout: 20)
        try #require(first.count == 1)

        var resolved = alert
        resolved.endsAt = Date()
        notifier.receive(alerts: [resolved], at: Date())
        let two = await receiver.wait(for: 2, timeout: 20)
        try #require(two.count == 2)
        #expect(Self.status(two[1]) == "resolved")
        // It was sent only once the held attempt had ended.
        #expect(two[1].arrivedAt.timeIntervalSince(first[0].arrivedAt) >= 2.4)

        // The failed firing attempt is not retried: it was superseded while on the wire.
        await Self.settle(until: two[1].arrivedAt.addingTimeInterval(3))
        let all = receiver.requests
        #expect(all.count == 2, "statuses seen: \(all.map { Self.status($0) ?? "-" })")
        #expect(notifier.outbox.count == 0)
        #expect(Self.outcomes(notifier)["superseded"] == 1)
    }

    @Test("of several notifications of one group left in the outbox by a previous run, only the newest is sent")
    func restartSendsOnlyTheNewest() async throws {
        let receiver = try TestReceiver()
        defer { receiver.stop() }
        let directory = TestState.directory()
        let config = try Self.config(receiver.url, initialBackoff: "1s")
        let outbox = try Outbox(stateDirectory: directory)
        let t0 = Date().addingTimeInterval(-60)
        for (i, status) in ["firing", "resolved"].enumerated() {
            let entry = OutboxEntry(id: "\(Int64(t0.timeIntervalSince1970 * 1000) + Int64(i))-\(i)", receiver: "hook",
                                    integration: "hook/webhook/0", payload: Data("{\"status\":\"\(status)\"}".utf8),
                                    headers: [HTTPHeader("Content-Type", "application/json")], idempotencyKey: "key-\(i)",
                                    groupKey: "{}:{alertname=\"X\"}", createdAt: t0.addingTimeInterval(Double(i)))
            try outbox.put(entry)
        }
        let notifier = try Notifier(config: config, stateDirectory: directory)
        notifier.start()
        defer { Task { await notifier.shutdown() } }
        let got = await receiver.wait(for: 1, timeout: 20)
        try #require(got.count == 1)
        #expect(Self.status(got[0]) == "resolved")
        await Self.settle(until: got[0].arrivedAt.addingTimeInterval(2))
        #expect(receiver.requests.count == 1)
        #expect(notifier.outbox.count == 0)
    }
}
