import Foundation
import Testing
@testable import Rules

@Suite("Prometheus HTTP API shapes and check-rules")
struct PrometheusAPITests {
    static func object(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("query results: vector, scalar, matrix")
    func query() throws {
        let vec = try Self.object(PrometheusAPI.queryResponse(.vector([VectorSample(labels: ["__name__": "up", "job": "a"], value: 1)]), at: 1_500))
        #expect(vec["status"] as? String == "success")
        let data = try #require(vec["data"] as? [String: Any])
        #expect(data["resultType"] as? String == "vector")
        let first = try #require((data["result"] as? [[String: Any]])?.first)
        #expect(first["metric"] as? [String: String] == ["__name__": "up", "job": "a"])
        let value = try #require(first["value"] as? [Any])
        #expect(value[0] as? Double == 1.5 && value[1] as? String == "1")
        let scalar = try Self.object(PrometheusAPI.queryResponse(.scalar(0.25), at: 2_000))
        let sdata = try #require(scalar["data"] as? [String: Any])
        #expect(sdata["resultType"] as? String == "scalar")
        #expect((sdata["result"] as? [Any])?[1] as? String == "0.25")
        let err = try Self.object(PrometheusAPI.errorResponse(message: "1:1: parse error"))
        #expect(err["status"] as? String == "error" && err["errorType"] as? String == "bad_data")
    }

    @Test("alerts and rules")
    func alertsAndRules() throws {
        let alert = Alert(labels: ["alertname": "Down"], annotations: ["s": "x"], state: .firing, value: 1, activeAt: 0)
        let alerts = try Self.object(PrometheusAPI.alertsResponse([alert]))
        let list = try #require((alerts["data"] as? [String: Any])?["alerts"] as? [[String: Any]])
        #expect(list.first?["value"] as? String == "1e+00")
        #expect(list.first?["activeAt"] as? String == "1970-01-01T00:00:00.000Z")
        let rule = AlertingRule(name: "Down", expr: try PromQL.parse("up == 0"), exprText: "up == 0", holdDuration: 300_000)
        let group = RuleGroup(name: "g", file: "f.yml", rules: [.alerting(rule)])
        let rules = try Self.object(PrometheusAPI.rulesResponse([.init(group: group, interval: 60_000, rules: [
            .init(rule: .alerting(rule), alerts: [alert], lastEvaluation: 1000),
        ])]))
        let g = try #require(((rules["data"] as? [String: Any])?["groups"] as? [[String: Any]])?.first)
        #expect(g["interval"] as? Double == 60)
        let r = try #require((g["rules"] as? [[String: Any]])?.first)
        #expect(r["state"] as? String == "firing" && r["duration"] as? Double == 300 && r["health"] as? String == "ok")
        #expect(r["type"] as? String == "alerting" && r["query"] as? String == "up == 0")
    }

    @Test("check-rules reports like promtool")
    func check() {
        let good = RuleChecker.check(paths: [FixtureFiles.path("rules/lifecycle.rules.yml")])
        #expect(good.passed)
        #expect(good.text.contains("SUCCESS: 5 rules found"))
        let bad = RuleChecker.check(paths: [FixtureFiles.path("does-not-exist.yml")])
        #expect(!bad.passed && bad.text.contains("FAILED:"))
    }
}
