import Foundation
import Testing
@testable import Notify

@Suite("Restarts")
struct RestartTests {
    @Test("the notification log survives a restart: the same firing alert does not page again")
    func noRepage() throws {
        let dir = TestState.directory()
        let config = try NotifyConfig.test("""
        route: {receiver: hook, group_wait: 0s, repeat_interval: 1h}
        receivers: [{name: hook, webhook_configs: [{url: 'https://user:pw@hooks.example/SECRETPATH'}]}]
        """)
        let t = Date(timeIntervalSince1970: 1_700_000_000)
        let alert = Alert(labels: ["alertname": "A"], startsAt: t)
        let first = try Notifier(config: config, stateDirectory: dir, logger: LogCapture().logger)
        first.receive(alerts: [alert], at: t)
        #expect(first.tick(at: t).count == 1)
        let second = try Notifier(config: config, stateDirectory: dir, logger: LogCapture().logger)
        second.receive(alerts: [alert], at: t.addingTimeInterval(60))
        #expect(second.tick(at: t.addingTimeInterval(60)).isEmpty)
        // After repeat_interval it is sent again.
        #expect(second.tick(at: t.addingTimeInterval(60 + 3600)).count == 1)
        // Printing the configuration shows no secret.
        let printed = "\(config.receivers) \(String(reflecting: config.receivers))"
        #expect(!printed.contains("SECRETPATH") && !printed.contains("pw@"))
    }

    @Test("the last delivery per receiver survives a restart: recorded durably when delivered, read back by the next notifier; an unreadable record is set aside")
    func lastDeliverySurvivesRestart() async throws {
        let receiver = try TestReceiver()
        defer { receiver.stop() }
        let dir = TestState.directory()
        let config = try NotifyConfig.test("""
        route: {receiver: hook, group_wait: 0s}
        receivers: [{name: hook, webhook_configs: [{url: '\(receiver.url)/hook'}]}, {name: quiet, webhook_configs: [{url: '\(receiver.url)/q'}]}]
        """)
        let before = Date()
        let first = try Notifier(config: config, stateDirectory: dir, logger: LogCapture().logger)
        #expect(first.outbox.lastDeliveries.isEmpty)
        first.start()
        first.receive(alerts: [Alert(labels: ["alertname": "A"], startsAt: before)], at: before)
        try #require(await receiver.wait(for: 1, timeout: 20).count == 1)
        // The record is written after the receiver answered: wait for it, bounded.
        let deadline = ContinuousClock.now + .seconds(20)
        while first.outbox.lastDeliveries["hook"] == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let delivered = try #require(first.outbox.lastDeliveries["hook"])
        #expect(delivered >= before.addingTimeInterval(-1) && delivered <= Date().addingTimeInterval(1))
        await first.shutdown()

        let second = try Notifier(config: config, stateDirectory: dir, logger: LogCapture().logger)
        #expect(second.metrics.lastDeliveries().isEmpty)
        let restored = try #require(second.outbox.lastDeliveries["hook"])
        #expect(abs(restored.timeIntervalSince(delivered)) < 0.002 && second.outbox.lastDeliveries["quiet"] == nil)
        // A record never goes back in time.
        try second.outbox.recordDelivery(receiver: "hook", at: delivered.addingTimeInterval(-60))
        #expect(abs(try #require(second.outbox.lastDeliveries["hook"]).timeIntervalSince(delivered)) < 0.002)

        let path = (dir as NSString).appendingPathComponent("last-delivery.json")
        try Data("{\"hook\": \"not a time\"".utf8).write(to: URL(fileURLWithPath: path))
        let third = try Notifier(config: config, stateDirectory: dir, logger: LogCapture().logger)
        #expect(third.outbox.lastDeliveries.isEmpty && third.outbox.corrupt == ["last-delivery.json"])
        #expect(FileManager.default.fileExists(atPath: path + ".corrupt") && !FileManager.default.fileExists(atPath: path))
    }
}
