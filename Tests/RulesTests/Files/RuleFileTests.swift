import Foundation
import Testing
import VigilCore
@testable import Rules

@Suite("Rule files")
struct RuleFileTests {
    @Test("loads groups, intervals, limits, labels and both rule kinds")
    func loads() throws {
        let f = try RuleFile.parse(text: """
            groups:
              - name: a
                interval: 30s
                query_offset: 1m
                limit: 10
                labels: {team: db}
                rules:
                  - record: job:up:sum
                    expr: sum by (job) (up)
                    labels: {kind: r}
                  - alert: Down
                    expr: job:up:sum == 0
                    for: 5m
                    keep_firing_for: 10m
                    labels: {severity: page}
                    annotations: {summary: "{{ $labels.job }} down"}
            """, file: "a.yml")
        let g = try #require(f.groups.first)
        #expect(g.name == "a" && g.interval == 30_000 && g.queryOffset == 60_000 && g.limit == 10)
        #expect(g.labels == [Label("team", "db")])
        guard case .recording(let r) = g.rules[0], case .alerting(let a) = g.rules[1] else {
            Issue.record("wrong rule kinds")
            return
        }
        #expect(r.name == "job:up:sum" && r.labels == [Label("kind", "r")])
        #expect(a.holdDuration == 300_000 && a.keepFiringFor == 600_000 && a.annotations.count == 1)
        #expect(g.retentionNeeded() == 300_000 + 60_000)
    }

    @Test("rejects invalid files naming file, line and field", arguments: [
        ("groups:\n  - name: a\n    rules: []\n    bogus: 1\n", 4, "groups[0].bogus", "unknown field"),
        ("groups:\n  - name: a\n  - name: a\n", 3, "groups[1].name", "is repeated in the same file"),
        ("groups:\n  - rules: []\n", 2, "groups[0].name", "is required"),
        ("groups:\n  - name: a\n    rules:\n      - record: x\n        expr: 'sum(('\n", 5, "groups[0].rules[0].expr", "could not parse expression: 1:6: parse error"),
        ("groups:\n  - name: a\n    rules:\n      - record: 'bad name'\n        expr: up\n", 4, "groups[0].rules[0].record", "invalid recording rule name"),
        ("groups:\n  - name: a\n    rules:\n      - record: x\n        expr: up\n        for: 5m\n", 6, "groups[0].rules[0].for", "invalid field 'for' in recording rule"),
        ("groups:\n  - name: a\n    rules:\n      - alert: X\n", 4, "groups[0].rules[0].expr", "field 'expr' must be set"),
        ("groups:\n  - name: a\n    rules:\n      - expr: up\n", 4, "groups[0].rules[0]", "one of 'record' or 'alert' must be set"),
        ("groups:\n  - name: a\n    rules:\n      - alert: X\n        record: y\n        expr: up\n", 4, "groups[0].rules[0]", "only one of 'record' and 'alert'"),
        ("groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: up\n        for: 5x\n", 6, "groups[0].rules[0].for", "invalid duration"),
        ("groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: up\n        annotations:\n          s: '{{ $labels.x '\n", 7, "groups[0].rules[0].annotations.s", "invalid template"),
        ("groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: up\n        labels:\n          1bad: x\n", 7, "groups[0].rules[0].labels.1bad", "invalid label name"),
        ("groups: [\n", 2, "", "invalid YAML"),
        ("groups:\n  - name: a\n    rules:\n      - record: x\n        expr: up\n        labels:\n          __name__: y\n", 7, "groups[0].rules[0].labels.__name__", "invalid label name"),
        ("groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: up\n        annotations:\n          bad-name: y\n", 7, "groups[0].rules[0].annotations.bad-name", "invalid annotation name"),
    ])
    func rejects(_ text: String, _ line: Int, _ field: String, _ message: String) {
        do {
            let f = try RuleFile.parse(text: text, file: "bad.yml")
            Issue.record("loaded \(f)")
        } catch {
            #expect(error.file == "bad.yml")
            #expect(error.line == line, "\(error)")
            #expect(error.field == field, "\(error)")
            #expect(error.message.contains(message), "\(error)")
            #expect(error.description.hasPrefix("bad.yml:\(line):"), "\(error)")
        }
    }

    @Test("alert names are label values: spaces are allowed, as promtool allows them")
    func alertNameWithSpaces() throws {
        let f = try RuleFile.parse(text: "groups:\n  - name: a\n    rules:\n      - alert: High Latency\n        expr: up == 0\n", file: "a.yml")
        #expect(f.groups.first?.rules.first?.name == "High Latency")
    }

    @Test("the seed's four alerts load exactly as written, units turned into numbers")
    func seedShorthand() throws {
        let f = try RuleFile.parse(text: """
            # Grafana alerting rules
            alerts:
              - name: "High Database Response Time"
                condition: "query_duration_p95 > 500ms"
                severity: "warning"

              - name: "Database Connection Pool Exhausted"
                condition: "connection_pool_usage > 90%"
                severity: "critical"

              - name: "Redis Memory Usage High"
                condition: "redis_memory_usage > 85%"
                severity: "warning"

              - name: "Replication Lag High"
                condition: "replication_lag > 1s"
                severity: "critical"
            """, file: "/x/seed-alerts.yml")
        #expect(f.isShorthand)
        let rules = try #require(f.groups.first).rules
        let exprs = rules.compactMap { r -> String? in if case .alerting(let a) = r { return a.exprText } else { return nil } }
        #expect(exprs == ["query_duration_p95 > 0.5", "connection_pool_usage > 0.9", "redis_memory_usage > 0.85", "replication_lag > 1"])
        guard case .alerting(let first) = rules[0] else { return }
        #expect(first.name == "High Database Response Time")
        #expect(first.labels == [Label("severity", "warning")])
        #expect(f.groups.first?.name == "seed-alerts")
    }

    @Test("shorthand unit conversion leaves ranges, offsets and strings alone", arguments: [
        ("rate(x[5m]) > 1kb", "rate(x[5m]) > 1024"),
        ("x offset 5m > 2mb", "x offset 5m > 2097152"),
        ("x{a=\"5m\"} > 1.5gb", "x{a=\"5m\"} > 1610612736"),
        ("x > 2h and y < 250ms", "x > 7200 and y < 0.25"),
        ("x > 1e3", "x > 1e3"),
        ("x > 3m", "x > 180"),
    ])
    func units(_ input: String, _ expected: String) throws {
        #expect(try SeedShorthand.convertUnits(input) == expected)
    }

    @Test("unknown units and bad shorthand entries are positioned errors")
    func shorthandErrors() {
        #expect(throws: PositionedError.self) {
            try RuleFile.parse(text: "alerts:\n  - name: a\n    condition: x > 5qq\n    severity: w\n", file: "s.yml")
        }
        do {
            _ = try RuleFile.parse(text: "alerts:\n  - name: a\n    condition: x > 1\n", file: "s.yml")
            Issue.record("no error")
        } catch {
            #expect(error.line == 2 && error.field == "alerts[0].severity")
        }
    }
}

@Suite("Rule file globs")
struct RuleFileGlobTests {
    @Test("expands globs in the file name, relative to a base directory, sorted, without duplicates")
    func globs() {
        let base = FixtureFiles.root
        let files = RuleFile.expand(patterns: ["rules/s*.yml", "rules/staleness.rules.yml", "rules/lifecycle.rules.yml", "rules/none-*.yml"], baseDirectory: base)
        #expect(files.map { ($0 as NSString).lastPathComponent } == ["seed-alerts.yml", "staleness.rules.yml", "lifecycle.rules.yml"])
        #expect(RuleFile.expand(patterns: ["/abs/x.yml"], baseDirectory: base) == ["/abs/x.yml"])
    }

    @Test("loads all groups of all files; a missing file fails the load")
    func loadGroups() throws {
        let groups = try RuleFile.loadGroups(patterns: ["rules/[lst]*.yml"], baseDirectory: FixtureFiles.root)
        #expect(groups.map(\.name) == ["recording", "alerts", "seed-alerts", "staleness", "templates"])
        #expect(throws: PositionedError.self) { try RuleFile.loadGroups(patterns: ["rules/missing.yml"], baseDirectory: FixtureFiles.root) }
    }
}
