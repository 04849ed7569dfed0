import Foundation
import Rules
import Testing
@testable import Notify

@Suite("Rule alerts as the notifier receives them")
struct AlertConversionTests {
    static let at = Date(timeIntervalSince1970: 1_700_000_100)

    static func ruleAlert(_ labels: LabelSet, state: Rules.Alert.State = .firing, resolvedAt: Int64? = nil) -> Rules.Alert {
        Rules.Alert(labels: labels, annotations: ["summary": "disk almost full"], state: state, value: 97,
                    activeAt: 1_700_000_000_500, firedAt: 1_700_000_060_000, resolvedAt: resolvedAt)
    }

    static func update(firing: [Rules.Alert] = [], resolved: [Rules.Alert] = []) -> RuleRuntime.AlertUpdate {
        RuleRuntime.AlertUpdate(firing: firing, resolved: resolved,
                                expressions: ["DiskFull": "disk_used{mount=\"/\"} / disk_size > 0.95 & x+y=z?#"], at: at)
    }

    @Test("labels lose __name__ and gain the external labels, the alert's own winning; annotations and startsAt carry over")
    func labelsAndTimes() {
        let a = Self.ruleAlert(["__name__": "ALERTS", "alertname": "DiskFull", "server": "db1", "region": "own"])
        let converted = Notify.Alert(a, resolved: false, update: Self.update(firing: [a]),
                                     externalLabels: ["region": "eu", "cluster": "c1"], externalURL: "http://vigil:9633")
        #expect(converted.labels == ["alertname": "DiskFull", "server": "db1", "region": "own", "cluster": "c1"])
        #expect(converted.annotations == ["summary": "disk almost full"])
        #expect(converted.startsAt == Date(timeIntervalSince1970: 1_700_000_000.5))
        #expect(converted.endsAt == nil)
        #expect(converted.status(at: Self.at) == .firing)
    }

    @Test("the generator URL queries the rule's expression under the external URL, with &, +, =, ? and # escaped")
    func generatorURL() throws {
        let a = Self.ruleAlert(["alertname": "DiskFull"])
        let converted = Notify.Alert(a, resolved: false, update: Self.update(firing: [a]), externalLabels: [:],
                                     externalURL: "http://vigil:9633")
        let prefix = "http://vigil:9633/api/v1/query?query="
        #expect(converted.generatorURL.hasPrefix(prefix))
        let encoded = String(converted.generatorURL.dropFirst(prefix.count))
        #expect(!encoded.contains { "&+=?#\" ".contains($0) })
        #expect(encoded.removingPercentEncoding == "disk_used{mount=\"/\"} / disk_size > 0.95 & x+y=z?#")
        // Round-trips as a query parameter.
        let items = try #require(URLComponents(string: converted.generatorURL)?.queryItems)
        #expect(items.map(\.name) == ["query"])

        let unknown = Self.ruleAlert(["alertname": "NoSuchRule"])
        #expect(Notify.Alert(unknown, resolved: false, update: Self.update(firing: [unknown]), externalLabels: [:],
                             externalURL: "http://vigil:9633").generatorURL == "")
    }

    @Test("a resolved alert ends when it resolved, or at the update's time when that is unknown")
    func resolved() {
        let when = Notify.Alert(Self.ruleAlert(["alertname": "DiskFull"], state: .inactive, resolvedAt: 1_700_000_090_000),
                                resolved: true, update: Self.update(), externalLabels: [:], externalURL: "")
        #expect(when.endsAt == Date(timeIntervalSince1970: 1_700_000_090))
        #expect(when.status(at: Self.at) == .resolved)
        let unknown = Notify.Alert(Self.ruleAlert(["alertname": "DiskFull"], state: .inactive), resolved: true,
                                   update: Self.update(), externalLabels: [:], externalURL: "")
        #expect(unknown.endsAt == Self.at)
    }

    @Test("an update becomes its firing alerts, then its resolved ones")
    func update() {
        let firing = [Self.ruleAlert(["alertname": "DiskFull", "server": "a"]), Self.ruleAlert(["alertname": "DiskFull", "server": "b"])]
        let resolved = [Self.ruleAlert(["alertname": "DiskFull", "server": "c"], state: .inactive, resolvedAt: 1_700_000_099_000)]
        let alerts = Notify.Alert.alerts(from: Self.update(firing: firing, resolved: resolved), externalLabels: ["env": "prod"],
                                         externalURL: "")
        #expect(alerts.map { $0.labels["server"] } == ["a", "b", "c"])
        #expect(alerts.map { $0.endsAt == nil } == [true, true, false])
        #expect(alerts.allSatisfy { $0.labels["env"] == "prod" })
        #expect(Notify.Alert.alerts(from: Self.update(), externalLabels: [:], externalURL: "").isEmpty)
    }
}
