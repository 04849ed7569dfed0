import Testing
import VigilCore
@testable import Rules

@Suite("RuleEngine")
struct RuleEngineTests {
    static func group(_ yaml: String) throws -> RuleGroup {
        try #require(try RuleFile.parse(text: yaml, file: "e.yml").groups.first)
    }

    @Test("group labels apply to every rule, rule labels win (Prometheus 3.x)")
    func groupLabels() throws {
        let g = try Self.group("""
            groups:
              - name: g
                labels: {team: db, env: prod}
                rules:
                  - record: r
                    expr: up
                    labels: {env: dev}
                  - alert: A
                    expr: up
            """)
        var h = SeriesHistory()
        h.append(["__name__": "up", "i": "1"], t: 0, value: 1)
        var engine = RuleEngine()
        let res = engine.evaluate(g, at: 0, history: &h)
        #expect(res.rules[0].samples.map(\.labels) == [["__name__": "r", "i": "1", "team": "db", "env": "dev"]])
        #expect(res.rules[1].alerts.map(\.labels) == [["alertname": "A", "i": "1", "team": "db", "env": "prod"]])
    }

    @Test("query_offset evaluates in the past and stores results there")
    func queryOffset() throws {
        let g = try Self.group("""
            groups:
              - name: g
                query_offset: 1m
                rules:
                  - record: r
                    expr: x
            """)
        var h = SeriesHistory(retention: 3_600_000)
        h.append(["__name__": "x"], t: 0, value: 1)
        h.append(["__name__": "x"], t: 60_000, value: 2)
        var engine = RuleEngine()
        let res = engine.evaluate(g, at: 60_000, history: &h)
        #expect(res.rules[0].samples.map(\.value) == [1])
        #expect(h.latest(["__name__": "r"], at: 60_000, lookback: 300_000)?.t == 0)
    }

    @Test("a recording rule over the group limit fails; its output becomes stale when it stops")
    func recordingLimitAndStaleness() throws {
        let g = try Self.group("""
            groups:
              - name: g
                limit: 1
                rules:
                  - record: r
                    expr: x > 0
            """)
        var h = SeriesHistory(retention: 3_600_000)
        h.append(["__name__": "x", "i": "1"], t: 0, value: 1)
        h.append(["__name__": "x", "i": "2"], t: 0, value: 1)
        var engine = RuleEngine()
        let res = engine.evaluate(g, at: 0, history: &h)
        #expect(res.rules[0].error?.message == "exceeded limit of 1 with 2 series")
        h.append(["__name__": "x", "i": "1"], t: 60_000, value: 1)
        h.append(["__name__": "x", "i": "2"], t: 60_000, value: 0)
        _ = engine.evaluate(g, at: 60_000, history: &h)
        #expect(h.latest(["__name__": "r", "i": "1"], at: 60_000, lookback: 300_000)?.v == 1)
        h.append(["__name__": "x", "i": "1"], t: 120_000, value: 0)
        _ = engine.evaluate(g, at: 120_000, history: &h)
        #expect(h.latest(["__name__": "r", "i": "1"], at: 120_000, lookback: 300_000) == nil)
    }

    @Test("a reload keeps the state of rules still loaded and drops the rest")
    func retain() throws {
        let g = try Self.group("""
            groups:
              - name: g
                rules:
                  - alert: A
                    expr: vector(1)
                    for: 5m
            """)
        var h = SeriesHistory()
        var engine = RuleEngine()
        _ = engine.evaluate(g, at: 0, history: &h)
        engine.retain(groups: [g])
        #expect(engine.states.count == 1)
        engine.retain(groups: [])
        #expect(engine.states.isEmpty)
    }

    @Test("rule identity survives a reload that inserts a rule above it")
    func identityAcrossReload() throws {
        let before = try Self.group("""
            groups:
              - name: g
                rules:
                  - alert: A
                    expr: vector(1)
                    for: 5m
            """)
        let after = try Self.group("""
            groups:
              - name: g
                rules:
                  - record: new
                    expr: vector(2)
                  - alert: A
                    expr: vector(1)
                    for: 5m
            """)
        var h = SeriesHistory(retention: 3_600_000)
        var engine = RuleEngine()
        _ = engine.evaluate(before, at: 0, history: &h)
        engine.retain(groups: [after])
        #expect(engine.states.count == 1)
        var fired: [AlertTransition] = []
        for i in 1...5 { fired += engine.evaluate(after, at: Int64(i) * 60_000, history: &h).transitions }
        #expect(fired.map { "\($0.to)@\($0.at)" } == ["firing@300000"])
        #expect(RuleEngine.keys(for: after)[1] == RuleEngine.keys(for: before)[0])
    }
}
