import Foundation
import Testing
@testable import Notify

@Suite("Alert storms")
struct StormTests {
    @Test("1,000 alerts become one message per group, within a bounded time")
    func storm() throws {
        let config = try NotifyConfig.test("""
        route: {receiver: hook, group_by: [alertname], group_wait: 0s}
        receivers: [{name: hook, webhook_configs: [{url: 'http://127.0.0.1:9/'}]}]
        """)
        let notifier = try Notifier(config: config, stateDirectory: TestState.directory(), logger: LogCapture().logger)
        let t = Date(timeIntervalSince1970: 1_700_000_000)
        let alerts = (0..<1000).map { i in
            Alert(labels: ["alertname": "Storm\(i % 5)", "instance": "host\(i)", "severity": "warning"], startsAt: t)
        }
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            notifier.receive(alerts: alerts, at: t)
            let entries = notifier.tick(at: t)
            #expect(entries.count == 5)
            let counts = entries.compactMap { (try? JSONSerialization.jsonObject(with: $0.payload) as? [String: Any])?["alerts"] as? [Any] }.map(\.count)
            #expect(counts == [200, 200, 200, 200, 200])
            #expect(notifier.tick(at: t.addingTimeInterval(1)).isEmpty)
        }
        #expect(elapsed < .seconds(10))
    }
}
