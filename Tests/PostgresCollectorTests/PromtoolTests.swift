import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import VigilCore
@testable import PostgresCollector
import VigilTestSupport

/// `promtool check metrics` may flag on Vigil's PostgreSQL families only what it flags on
/// postgres_exporter's own output (historical names kept for compatibility), nothing more.
@Suite("promtool on the PostgreSQL families")
struct PromtoolTests {
    /// promtool's complaints, one per line (`metric_name problem`), with the family name.
    static func check(_ promtool: String, _ body: String) throws -> [(family: String, problem: String)] {
        return (try Promtool.checkMetrics(body) ?? []).compactMap { line in
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            return (String(parts[0]), String(parts[1]))
        }
    }

    /// Kinds of complaint promtool makes about postgres_exporter's historical names.
    static func kind(_ problem: String) -> String {
        if problem.contains("counter metrics should have \"_total\" suffix") { return "counter-suffix" }
        if problem.contains("non-base unit") { return "unit" }
        if problem.contains("non-counter metrics should not have \"_total\" suffix") { return "total-suffix" }
        if problem.contains("should not have \"_count\" suffix") { return "count-suffix" }
        return problem
    }

    @Test("Vigil's complaints are of the kinds postgres_exporter's are, on families it has too",
          .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")), .timeLimit(.minutes(1)))
    func sameComplaints() async throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        guard let promtool = TestEnvironment.tool("promtool"), let exporter = TestEnvironment.tool("prometheus-postgres-exporter") else { return }
        let c = PostgresCollector(options: PostgresCollectorOptions(dsn: dsn))
        defer { c.close() }
        let ours = String(decoding: ExpositionRenderer.render(try collectOnce(c), format: .text), as: UTF8.self)
        let mine = try Self.check(promtool, ours)

        let body = try await PostgresExporterComparisonTests.scrapeExporter(exporter, dsn: dsn)
        let theirs = try Self.check(promtool, body)
        let theirKinds = Set(theirs.map { Self.kind($0.problem) })
        let theirFamilies = Set(theirs.map(\.family))
        // Renamed in postgres_exporter's current generation (see the comparison test): the
        // old name is what promtool saw there.
        let renamedFrom = ["pg_stat_database_active_time_seconds_total": "pg_stat_database_active_time"]
        for complaint in mine {
            let k = Self.kind(complaint.problem)
            let known = theirKinds.contains(k) && (theirFamilies.contains(complaint.family) || theirFamilies.contains(renamedFrom[complaint.family] ?? ""))
            // Families 0.11 does not export by default (stat_user_tables, statio_user_tables)
            // keep postgres_exporter's current names (`…_seq_scan` counters, `…_vacuum_count`):
            // those complaints are the current generation's own.
            let currentGeneration = ["counter-suffix", "count-suffix"].contains(k)
                && (complaint.family.hasPrefix("pg_stat_user_tables_") || complaint.family.hasPrefix("pg_statio_user_tables_"))
            #expect(known || currentGeneration, "promtool: \(complaint.family) \(complaint.problem)")
        }
    }
}
