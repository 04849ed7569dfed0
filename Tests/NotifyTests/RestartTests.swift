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
}
