import Foundation
import Testing
import VigilCore
@testable import PostgresCollector
import VigilTestSupport

enum Fixtures {
    static func path(_ name: String) throws -> String {
        try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)).path
    }
}

@Suite("Custom queries (queries.yaml)")
struct CustomQueriesTests {
    @Test("the fixture with every usage parses")
    func parsesFixture() throws {
        let q = try CustomQueries.load(path: try Fixtures.path("queries.yaml"))
        #expect(q.queries.map(\.namespace) == ["app_users", "app_jobs", "app_health", "app_latency"])
        let users = q.queries[0]
        #expect(users.master)
        #expect(users.labelColumns == ["plan"])
        #expect(users.columns.map(\.usage) == [.label, .gauge, .gauge, .counter, .discard])
        #expect(q.queries[1].cacheSeconds == 30)
        #expect(q.queries[2].columns[0].mapping == ["green": 0, "yellow": 1, "red": 2])
        #expect(q.queries[3].columns[1].usage == .histogram)
    }

    @Test("a bad file is refused with the query name and column at fault")
    func refusesBadFiles() {
        let cases: [(String, String)] = [
            ("q:\n  query: SELECT 1\n  metrics:\n    - v:\n        usage: GAUGES\n", "query q, column v: unknown usage \"GAUGES\""),
            ("q:\n  metrics:\n    - v:\n        usage: GAUGE\n", "query q: missing query"),
            ("q:\n  query: SELECT 1\n", "query q: missing metrics"),
            ("q:\n  query: SELECT 1\n  metrics:\n    - v:\n        description: x\n", "query q, column v: missing usage"),
            ("q:\n  query: SELECT 1\n  metrics:\n    - v:\n        usage: MAPPEDMETRIC\n", "query q, column v: MAPPEDMETRIC needs a metric_mapping"),
            ("q:\n  query: SELECT 1\n  metrics:\n    - v:\n        usage: MAPPEDMETRIC\n        metric_mapping: {a: high}\n", "query q, column v: metric_mapping must map values to numbers"),
            ("q:\n  query: SELECT 1\n  metrics:\n    - v:\n        usage: GAUGE\n    - v:\n        usage: COUNTER\n", "query q, column v: listed twice"),
            ("q:\n  query: SELECT 1\n  cache_seconds: soon\n  metrics: []\n", "query q: cache_seconds must be"),
            ("bad-name:\n  query: SELECT 1\n  metrics: []\n", "query bad-name: \"bad-name\" is not a valid metric name prefix"),
            ("q:\n  query: SELECT 1\n  metrics:\n    - bad-label:\n        usage: LABEL\n", "query q, column bad-label: \"bad-label\" is not a valid label name"),
            ("- just\n- a list\n", "expected a mapping"),
            ("q: [unclosed\n", "not valid YAML"),
        ]
        for (text, expected) in cases {
            do {
                _ = try CustomQueries.parse(text, file: "f.yaml")
                Issue.record("accepted: \(text)")
            } catch {
                #expect("\(error)".contains(expected), "\(error) should contain \(expected)")
                #expect("\(error)".hasPrefix("f.yaml"), "\(error)")
            }
        }
        #expect(PostgresCollector.validateQueriesFile({ var o = PostgresCollectorOptions(dsn: ""); o.queriesFile = "/nonexistent/q.yaml"; return o }())?.contains("cannot read") == true)
        #expect(PostgresCollector.validateQueriesFile(PostgresCollectorOptions(dsn: "")) == nil)
    }

    @Test("durations: Go notation and PostgreSQL intervals, in milliseconds")
    func durations() {
        #expect(CustomQueries.durationMilliseconds("1h2m3.5s") == 3_723_500)
        #expect(CustomQueries.durationMilliseconds("300ms") == 300)
        #expect(CustomQueries.durationMilliseconds("1.5us") == 0.0015)
        #expect(CustomQueries.durationMilliseconds("00:00:05") == 5000)
        #expect(abs((CustomQueries.durationMilliseconds("2 days 01:00:00.5") ?? 0) - (2 * 86_400_000 + 3_600_500)) < 1e-6)
        #expect(CustomQueries.durationMilliseconds("-1") == nil)
        #expect(CustomQueries.durationMilliseconds("soon") == nil)
    }

    @Test("arrays of numbers")
    func arrays() {
        #expect(CustomQueries.parseArray("{1,2.5,NULL}") == [1, 2.5])
        #expect(CustomQueries.parseArray("{}") == [])
        #expect(CustomQueries.parseArray("{a}") == nil)
        #expect(CustomQueries.parseArray("1,2") == nil)
    }

    @Test("rows map to families: labels, types, unknown numeric columns untyped, histograms")
    func mapping() throws {
        let q = try CustomQueries.load(path: try Fixtures.path("queries.yaml"))
        let users = try CustomQueries.families(q.queries[0], QueryResult(
            columns: ["plan", "active", "total", "logins_total", "note"],
            rows: [["free", "3", "10", "99", "x"], ["pro", "1", nil, "5", "y"]]))
        #expect(users.map(\.name) == ["app_users_active", "app_users_total", "app_users_logins_total"])
        #expect(users[0].samples == [Sample(["plan": "free"], 3), Sample(["plan": "pro"], 1)])
        #expect(users[1].samples.last?.value.isNaN == true)
        #expect(users[2].type == .counter)

        let jobs = try CustomQueries.families(q.queries[1], QueryResult(columns: ["state", "max_wait", "extra"], rows: [["queued", "00:00:02", "7"]]))
        #expect(jobs.map(\.name) == ["app_jobs_max_wait_milliseconds", "app_jobs_extra"])
        #expect(jobs[0].samples.first?.value == 2000)
        #expect(jobs[1].type == .untyped)

        let hist = try CustomQueries.families(q.queries[3], QueryResult(
            columns: ["route", "latency", "latency_bucket", "latency_sum", "latency_count"],
            rows: [["api", "{0.1,0.5,1}", "{3,7,9}", "4.2", "10"]]))
        #expect(hist.first?.type == .histogram)
        #expect(hist.first?.samples.map(\.value) == [3, 7, 9, 10, 4.2, 10])

        #expect(throws: CustomQueries.MappingError.self) {
            try CustomQueries.families(q.queries[0], QueryResult(columns: ["active"], rows: [["1"]]))
        }
    }

    @Test("the fixture runs against a real server", .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")))
    func integration() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        try runSQL(dsn, [
            "CREATE TABLE IF NOT EXISTS vigil_app_users (plan text, active bool, logins int)",
            "TRUNCATE vigil_app_users",
            "INSERT INTO vigil_app_users VALUES ('free', true, 3), ('free', false, 4), ('pro', true, 10)",
            "CREATE TABLE IF NOT EXISTS vigil_app_jobs (state text, max_wait interval, extra int)",
            "TRUNCATE vigil_app_jobs",
            "INSERT INTO vigil_app_jobs VALUES ('queued', interval '2.5 seconds', 1)",
        ])
        var o = only(dsn, ["queries"])
        o.queriesFile = try Fixtures.path("queries.yaml")
        let c = PostgresCollector(options: o)
        defer { c.close() }
        let f = try collectOnce(c)
        #expect(family(f, "pg_scrape_collector_success")?.samples.first { $0.labels["collector"] == "queries" }?.value == 1)
        #expect(family(f, "app_users_active")?.samples == [Sample(["plan": "free"], 1), Sample(["plan": "pro"], 1)])
        #expect(family(f, "app_users_logins_total")?.samples.first?.value == 7)
        #expect(family(f, "app_jobs_max_wait_milliseconds")?.samples.first?.value == 2500)
        #expect(family(f, "app_health_status")?.samples.first?.value == 0)
        #expect(family(f, "app_latency_latency")?.type == .histogram, "\(f.map(\.name))")

        // cache_seconds: the cached query is not run again in the next cycle.
        try runSQL(dsn, ["UPDATE vigil_app_jobs SET max_wait = interval '9 seconds'"])
        let f2 = try collectOnce(c)
        #expect(family(f2, "app_jobs_max_wait_milliseconds")?.samples.first?.value == 2500)
    }

    @Test("a query that fails makes the collector fail, the others still report", .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")))
    func failingQuery() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-bad-query-\(UUID().uuidString).yaml")
        try "broken:\n  query: SELECT * FROM no_such_table_here\n  metrics:\n    - v:\n        usage: GAUGE\nfine:\n  query: SELECT 1 AS v\n  metrics:\n    - v:\n        usage: GAUGE\n"
            .write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        var o = only(dsn, ["queries"])
        o.queriesFile = file.path
        let c = PostgresCollector(options: o)
        defer { c.close() }
        let f = try collectOnce(c)
        #expect(family(f, "pg_scrape_collector_success")?.samples.first { $0.labels["collector"] == "queries" }?.value == 0)
        #expect(family(f, "fine_v")?.samples.first?.value == 1)
    }
}
