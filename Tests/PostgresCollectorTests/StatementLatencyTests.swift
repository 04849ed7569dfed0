import Foundation
import Testing
import VigilCore
@testable import PostgresCollector
import VigilTestSupport

/// Prometheus' histogram_quantile over cumulative (upper bound, count) buckets ending in +Inf.
func histogramQuantile(_ q: Double, _ buckets: [(Double, Double)]) -> Double {
    guard let total = buckets.last?.1, total > 0 else { return .nan }
    let rank = q * total
    var prevBound = 0.0
    var prevCount = 0.0
    for (bound, count) in buckets {
        if count >= rank {
            if bound == .infinity { return prevBound }
            return prevBound + (bound - prevBound) * (rank - prevCount) / (count - prevCount)
        }
        prevBound = bound
        prevCount = count
    }
    return prevBound
}

/// Cumulative buckets of one series of a histogram family, +Inf last.
func buckets(_ f: MetricFamily, where match: (Labels) -> Bool) -> [(Double, Double)] {
    f.samples.filter { $0.suffix == "_bucket" && match($0.labels) }.compactMap { s in
        guard let le = s.labels["le"] else { return nil }
        return (le == "+Inf" ? .infinity : Double(le) ?? .nan, s.value)
    }
}

@Suite("StatementLatency (pure)")
struct StatementLatencyTests {
    typealias Key = StatementLatency.Key
    typealias Totals = StatementLatency.Totals

    func t(_ calls: Double, _ seconds: Double) -> Totals {
        Totals(calls: calls, seconds: seconds, rows: calls, readSeconds: 0, writeSeconds: 0)
    }

    @Test("deltas: difference, whole totals for new statements, current totals after a reset")
    func deltas() {
        #expect(StatementLatency.delta(current: t(10, 2), previous: t(4, 1)) == t(6, 1))
        #expect(StatementLatency.delta(current: t(3, 1), previous: nil) == t(3, 1))
        #expect(StatementLatency.delta(current: t(2, 0.5), previous: t(10, 5)) == t(2, 0.5))
    }

    @Test("the first snapshot only sets the baseline; later means are counted once per call")
    func histogram() throws {
        var l = StatementLatency(bounds: [0.01, 0.1, 1], topN: 10)
        let fast = Key(user: "u", datname: "db", queryid: "1")
        let slow = Key(user: "u", datname: "db", queryid: "2")
        _ = l.observe([fast: t(100, 0.1), slow: t(1, 0.5)])
        #expect(l.histograms.isEmpty)
        // 90 fast calls of 1 ms, 10 slow calls of 0.5 s.
        _ = l.observe([fast: t(190, 0.19), slow: t(11, 5.5)])
        let h = try #require(l.histograms["db"])
        #expect(h.buckets == [90, 0, 10, 0])
        #expect(h.count == 100)
        #expect(abs(h.sum - 5.09) < 1e-9)
        let family = l.histogramFamily()
        #expect(family.type == .histogram)
        let b = buckets(family) { $0["datname"] == "db" }
        #expect(b.map(\.1) == [90, 90, 100, 100])
        let p95 = histogramQuantile(0.95, b)
        #expect(p95 > 0.1 && p95 <= 1)
        let p50 = histogramQuantile(0.5, b)
        #expect(p50 <= 0.01)
    }

    @Test("top N keeps the largest by time; the rest feed a monotonic remainder per database")
    func topAndRemainder() throws {
        // Sums are exact from the first snapshot on while the top N is stable.
        var exact = StatementLatency(bounds: [1], topN: 1)
        let first = StatStatements.families(latency: &exact, snapshot: [
            Key(user: "u", datname: "db", queryid: "a"): t(5, 10), Key(user: "u", datname: "db", queryid: "b"): t(2, 1),
            Key(user: "u", datname: "db", queryid: "c"): t(3, 1),
        ])
        #expect(first.first(where: { $0.name == "pg_stat_statements_calls_total" })?.samples.map(\.value).reduce(0, +) == 10)

        var l = StatementLatency(bounds: [1], topN: 1)
        let a = Key(user: "u", datname: "db", queryid: "a")
        let b = Key(user: "u", datname: "db", queryid: "b")
        #expect(l.observe([a: t(1, 10), b: t(1, 1)]) == [a])
        let f1 = StatStatements.families(latency: &l, snapshot: [a: t(2, 20), b: t(3, 3)])
        let calls = try #require(f1.first(where: { $0.name == "pg_stat_statements_calls_total" }))
        #expect(calls.samples.map { $0.labels["queryid"] ?? "" } == ["a", "other"])
        #expect(calls.samples.last?.value == 3)  // b's 1 call at the start, and 2 since
        // b overtakes a: b gets its own series; the remainder never goes down.
        let f2 = StatStatements.families(latency: &l, snapshot: [a: t(3, 21), b: t(4, 100)])
        let calls2 = try #require(f2.first(where: { $0.name == "pg_stat_statements_calls_total" }))
        #expect(calls2.samples.map { $0.labels["queryid"] ?? "" } == ["b", "other"])
        #expect(calls2.samples.last?.value == 4)  // never down, although b left the remainder
        #expect(calls2.samples.first?.labels.names == ["user", "datname", "queryid"])
    }

    @Test("bucket bounds are sorted and the index picks the first bound at or above the value")
    func bucketIndex() {
        let l = StatementLatency(bounds: [1, 0.1, .infinity, -1], topN: 1)
        #expect(l.bounds == [0.1, 1])
        #expect(l.bucketIndex(0.1) == 0)
        #expect(l.bucketIndex(0.5) == 1)
        #expect(l.bucketIndex(5) == 2)
    }

    @Test("column names follow the server version")
    func queries() {
        #expect(StatStatements.query(ServerVersion(major: 12)).contains("s.total_time"))
        #expect(StatStatements.query(ServerVersion(major: 15)).contains("total_exec_time"))
        #expect(StatStatements.query(ServerVersion(major: 15)).contains("s.blk_read_time"))
        #expect(StatStatements.query(ServerVersion(major: 17)).contains("shared_blk_read_time"))
    }
}

@Suite("pg_stat_statements against a real server", .serialized)
struct StatStatementsIntegrationTests {
    @Test("a pg_sleep workload among fast queries puts p95 in the right bucket",
          .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")), .timeLimit(.minutes(1)))
    func sleepWorkload() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        let db = "vigil_latency_test"
        let exists = try LibPQConnection(dsn: dsn, statementTimeout: 0, deadline: .after(seconds: 5))
        let found = try exists.query("SELECT 1 FROM pg_database WHERE datname = $1", [db], deadline: .after(seconds: 5)).rows.count
        exists.close()
        if found == 0 { try runSQL(dsn, ["CREATE DATABASE \(db)"]) }
        try runSQL(dsn, ["CREATE EXTENSION IF NOT EXISTS pg_stat_statements"])

        var options = PostgresCollectorOptions(dsn: dsn)
        options.collectors = Dictionary(uniqueKeysWithValues: PostgresCollectorOptions.defaultCollectors.keys.map { ($0, false) })
        options.collectors["stat_statements"] = true
        options.statementLatencyBuckets = [0.001, 0.01, 0.1, 0.25, 0.5, 1]
        let c = PostgresCollector(options: options)
        defer { c.close() }
        _ = try collectOnce(c)  // baseline

        // 40 fast statements and 10 sleeps of 0.2 s: 20 % of the calls are slow, so p95 is
        // in the (0.1, 0.25] bucket and p50 in a fast one.
        let work = try LibPQConnection(dsn: try PostgresCollectorTests.dsn(dsn, database: db), statementTimeout: 0, deadline: .after(seconds: 5))
        defer { work.close() }
        for i in 0..<40 { _ = try work.query("SELECT $1::int + 1", ["\(i)"], deadline: .after(seconds: 5)) }
        for _ in 0..<10 { _ = try work.query("SELECT pg_sleep(0.2)", deadline: .after(seconds: 5)) }

        let families = try collectOnce(c)
        #expect(family(families, "pg_scrape_collector_success")?.samples.first?.value == 1)
        let hist = try #require(family(families, "pg_stat_statements_latency_seconds"))
        let b = buckets(hist) { $0["datname"] == db }
        // Collectors of tests running in parallel may add a few fast statements in this database.
        #expect((b.last?.1 ?? 0) >= 50, "calls counted: \(b)")
        let p95 = histogramQuantile(0.95, b)
        #expect(p95 > 0.1 && p95 <= 0.25, "p95 \(p95) from \(b)")
        #expect(histogramQuantile(0.5, b) <= 0.01)
        let seconds = try #require(family(families, "pg_stat_statements_seconds_total"))
        #expect(seconds.samples.contains { $0.labels["datname"] == db && $0.value >= 2 })
    }

    @Test("without the extension the collector fails quietly and the target stays up",
          .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")))
    func missingExtension() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        let db = "vigil_noext_test"
        let check = try LibPQConnection(dsn: dsn, statementTimeout: 0, deadline: .after(seconds: 5))
        let found = try check.query("SELECT 1 FROM pg_database WHERE datname = $1", [db], deadline: .after(seconds: 5)).rows.count
        check.close()
        if found == 0 { try runSQL(dsn, ["CREATE DATABASE \(db)"]) }
        var options = PostgresCollectorOptions(dsn: try PostgresCollectorTests.dsn(dsn, database: db))
        options.collectors = ["stat_statements": true]
        let c = PostgresCollector(options: options)
        defer { c.close() }
        for _ in 0..<2 {
            let families = try collectOnce(c)
            let success = family(families, "pg_scrape_collector_success")?.samples.first { $0.labels["collector"] == "stat_statements" }
            #expect(success?.value == 0)
            // A missing extension is not a scrape error (alerts watch that one).
            #expect(family(families, "pg_exporter_last_scrape_error")?.samples.first?.value == 0)
        }
    }
}
