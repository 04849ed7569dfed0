import Foundation
import Testing
@testable import Notify

@Suite("Silences and inhibition")
struct SilenceTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    static func object(_ r: SilenceAPI.Reply) -> Any? { try? JSONSerialization.jsonObject(with: Data(r.body)) }

    @Test("the v2 API creates, lists, filters, gets and expires silences, persisted in the state directory")
    func api() throws {
        let dir = TestState.directory()
        let clock = TestClock(Self.t0)
        let api = SilenceAPI(store: try SilenceStore(stateDirectory: dir), clock: { clock.now })
        let body = """
        {"matchers":[{"name":"alertname","value":"DiskFull","isRegex":false},{"name":"server","value":"db[12]","isRegex":true,"isEqual":true}],
         "startsAt":"2023-11-14T22:13:20Z","endsAt":"2023-11-14T23:13:20.5Z","createdBy":"ops","comment":"maintenance"}
        """
        let created = api.create(Array(body.utf8))
        #expect(created.status == 200)
        let id = try #require((Self.object(created) as? [String: Any])?["silenceID"] as? String)

        let listed = try #require(Self.object(api.list(filter: nil)) as? [[String: Any]])
        #expect(listed.count == 1)
        let s = listed[0]
        #expect(s["id"] as? String == id)
        #expect((s["status"] as? [String: String])?["state"] == "active")
        #expect(s["createdBy"] as? String == "ops" && s["comment"] as? String == "maintenance")
        #expect(s["startsAt"] as? String == "2023-11-14T22:13:20Z")
        #expect(s["endsAt"] as? String == "2023-11-14T23:13:20.5Z")
        let ms = try #require(s["matchers"] as? [[String: Any]])
        #expect(ms.count == 2 && ms[1]["isRegex"] as? Bool == true && ms[1]["isEqual"] as? Bool == true)

        #expect((Self.object(api.list(filter: "{alertname=\"DiskFull\"}")) as? [Any])?.count == 1)
        #expect((Self.object(api.list(filter: "alertname=Other")) as? [Any])?.count == 0)
        #expect(api.list(filter: "{a=").status == 400)
        #expect((Self.object(api.get(id: id)) as? [String: Any])?["id"] as? String == id)
        #expect(api.get(id: "nope").status == 404)

        // Muting is pure: labels and time.
        let store = api.store
        #expect(store.isSilenced(["alertname": "DiskFull", "server": "db2"], at: Self.t0))
        #expect(!store.isSilenced(["alertname": "DiskFull", "server": "db3"], at: Self.t0))
        #expect(!store.isSilenced(["alertname": "DiskFull", "server": "db2"], at: Self.t0.addingTimeInterval(3601)))

        // Persisted: a new store on the same directory sees it.
        #expect(try SilenceStore(stateDirectory: dir).silence(id: id)?.comment == "maintenance")

        clock.now = Self.t0.addingTimeInterval(60)
        #expect(api.expire(id: id) == SilenceAPI.Reply(status: 200))
        #expect(api.expire(id: id).status == 500)
        #expect(api.expire(id: "nope").status == 404)
        #expect(!store.isSilenced(["alertname": "DiskFull", "server": "db2"], at: clock.now))
        let expired = try SilenceStore(stateDirectory: dir).silence(id: id)
        #expect(expired?.state(at: clock.now) == .expired && expired?.endsAt == clock.now)
    }

    @Test("bad silences are rejected with 400 and a reason")
    func validation() throws {
        let api = SilenceAPI(store: try SilenceStore(stateDirectory: TestState.directory()), clock: { Self.t0 })
        func post(_ json: String) -> (Int, String) {
            let r = api.create(Array(json.utf8))
            return (r.status, ((Self.object(r) as? [String: Any])?["message"] as? String) ?? "")
        }
        let ok = "\"startsAt\":\"2023-11-14T22:00:00Z\",\"endsAt\":\"2023-11-15T22:00:00Z\",\"createdBy\":\"a\",\"comment\":\"c\""
        #expect(post("nope").0 == 400)
        #expect(post("{\"matchers\":[],\(ok)}").1.contains("at least one matcher"))
        #expect(post("{\"matchers\":[{\"name\":\"a\",\"value\":\".*\",\"isRegex\":true}],\(ok)}").1.contains("empty string"))
        #expect(post("{\"matchers\":[{\"name\":\"a\",\"value\":\"(\",\"isRegex\":true}],\(ok)}").1.contains("invalid regular expression"))
        #expect(post("{\"matchers\":[{\"name\":\"a\",\"value\":\"b\"}],\"startsAt\":\"2023-11-14T22:00:00Z\",\"endsAt\":\"2023-11-14T21:00:00Z\",\"createdBy\":\"a\",\"comment\":\"c\"}").1
                .contains("after startsAt"))
        #expect(post("{\"matchers\":[{\"name\":\"a\",\"value\":\"b\"}],\"startsAt\":\"2023-11-14T22:00:00Z\",\"endsAt\":\"2023-11-15T22:00:00Z\",\"comment\":\"c\"}").1
                .contains("createdBy"))
        #expect(post("{\"matchers\":[{\"name\":\"a\",\"value\":\"b\"}],\(ok)}").0 == 200)
    }

    /// Webhook payloads written to the outbox by a notifier that is not started (pure path).
    static func sent(_ n: Notifier, at: Date) -> [[String: Any]] {
        n.tick(at: at).compactMap { try? JSONSerialization.jsonObject(with: $0.payload) as? [String: Any] }
    }

    @Test("a silence and an inhibition each mute what they should and nothing else")
    func muting() throws {
        let config = try NotifyConfig.test("""
        route: {receiver: hook, group_by: ['...'], group_wait: 0s, group_interval: 1m}
        inhibit_rules:
          - source_matchers: [severity=critical]
            target_matchers: [severity=warning]
            equal: [server]
        receivers: [{name: hook, webhook_configs: [{url: 'http://127.0.0.1:9/'}]}]
        """)
        let notifier = try Notifier(config: config, stateDirectory: TestState.directory(), logger: LogCapture().logger)
        let t = Self.t0
        try notifier.silences.put(Silence(id: "s1", matchers: try MatcherParser.parse("alertname=Noisy"), startsAt: t,
                                          endsAt: t.addingTimeInterval(3600), createdBy: "ops", comment: "known", updatedAt: t), at: t)
        func a(_ labels: [String: String]) -> Alert { Alert(labels: labels, startsAt: t) }
        notifier.receive(alerts: [
            a(["alertname": "Noisy", "server": "s1", "severity": "warning"]),   // silenced
            a(["alertname": "Quiet", "server": "s1", "severity": "warning"]),   // inhibited by Down s1
            a(["alertname": "Down", "server": "s1", "severity": "critical"]),   // sent
            a(["alertname": "Quiet", "server": "s2", "severity": "warning"]),   // sent: no critical on s2
            a(["alertname": "Noisy2", "server": "s2", "severity": "info"]),     // sent: silence is anchored
        ], at: t)
        let names = Set(Self.sent(notifier, at: t).compactMap { ($0["commonLabels"] as? [String: String]).map { "\($0["alertname"] ?? "")/\($0["server"] ?? "")" } })
        #expect(names == ["Down/s1", "Quiet/s2", "Noisy2/s2"])
        let muted = notifier.metricFamilies(at: t).first { $0.name == "vigil_alerts_muted_total" }?.samples
        #expect(muted?.first { $0.labels["reason"] == "silenced" }?.value == 1)
        #expect(muted?.first { $0.labels["reason"] == "inhibited" }?.value == 1)

        // When the critical alert resolves, the inhibited warning is notified at its next interval.
        notifier.receive(alerts: [Alert(labels: ["alertname": "Down", "server": "s1", "severity": "critical"], startsAt: t,
                                        endsAt: t.addingTimeInterval(30))], at: t.addingTimeInterval(30))
        let later = Self.sent(notifier, at: t.addingTimeInterval(60))
        let statuses = Dictionary(later.compactMap { p -> (String, String)? in
            guard let l = p["commonLabels"] as? [String: String], let s = p["status"] as? String else { return nil }
            return ("\(l["alertname"] ?? "")/\(l["server"] ?? "")", s)
        }, uniquingKeysWith: { a, _ in a })
        #expect(statuses == ["Down/s1": "resolved", "Quiet/s1": "firing"])
        // Expiring the silence lets the silenced alert through at its next interval.
        _ = try notifier.silences.expire(id: "s1", at: t.addingTimeInterval(90))
        let afterExpiry = Self.sent(notifier, at: t.addingTimeInterval(120))
        #expect(afterExpiry.compactMap { ($0["commonLabels"] as? [String: String])?["alertname"] } == ["Noisy"])
    }
}
