import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import VigilCore
@testable import PostgresCollector
import VigilTestSupport

/// Runs Debian's prometheus-postgres-exporter against the same server as Vigil and checks
/// that every family it exports is in Vigil's output with the same type and label names.
@Suite("Comparison with prometheus-postgres-exporter", .serialized)
struct PostgresExporterComparisonTests {
    /// What the current generation (0.20) exports where the older generation Debian 12 ships
    /// (0.11) differs. Vigil follows the current generation.
    struct Current {
        let name: String
        let type: String
        let labels: Set<String>
    }

    static let activityLabels: Set<String> = ["datname", "state", "usename", "application_name", "backend_type", "wait_event_type", "wait_event"]

    /// 0.11 → 0.20 renames and label changes.
    static let renames: [String: Current] = [
        // 0.11 exported the PG14 column untyped, in milliseconds; the stat_database collector
        // exports it in seconds as a counter.
        "pg_stat_database_active_time": Current(name: "pg_stat_database_active_time_seconds_total", type: "counter", labels: ["datid", "datname"]),
        // The stat_activity collector adds usename, application_name, backend_type and wait events.
        "pg_stat_activity_count": Current(name: "pg_stat_activity_count", type: "gauge", labels: activityLabels),
        "pg_stat_activity_max_tx_duration": Current(name: "pg_stat_activity_max_tx_duration", type: "gauge", labels: activityLabels),
    ]

    /// Families 0.11 picked up from `SELECT * FROM pg_stat_database` as untyped extras; the
    /// 0.20 stat_database collector names its columns and no longer exports these.
    static let droppedInCurrent: Set<String> = [
        "pg_stat_database_checksum_failures", "pg_stat_database_checksum_last_failure",
        "pg_stat_database_idle_in_transaction_time", "pg_stat_database_session_time",
        "pg_stat_database_sessions", "pg_stat_database_sessions_abandoned",
        "pg_stat_database_sessions_fatal", "pg_stat_database_sessions_killed",
    ]

    /// The exporter's own identity (Vigil has `vigil_build_info`).
    static let exporterIdentity: Set<String> = ["postgres_exporter_build_info"]

    /// 0.11 puts a constant `server` label (host:port) on its legacy families; 0.20's
    /// collectors do not, and Vigil adds `server` only when several targets are configured.
    static let legacyConstantLabels: Set<String> = ["server"]

    /// Runs Debian's postgres_exporter against `dsn` on a free loopback port and returns its
    /// /metrics body once it reports `pg_up 1` (or whatever it served last, after ~10 s).
    static func scrapeExporter(_ exporter: String, dsn: String) async throws -> String {
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: exporter)
        process.arguments = ["--web.listen-address=127.0.0.1:\(port)"]
        var env = ProcessInfo.processInfo.environment
        env["DATA_SOURCE_NAME"] = dsn.contains("sslmode") ? dsn : dsn + (dsn.contains("://") ? (dsn.contains("?") ? "&" : "?") + "sslmode=disable" : " sslmode=disable")
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { stopChild(process) }
        var body = ""
        let url = try #require(URL(string: "http://127.0.0.1:\(port)/metrics"))
        for _ in 0..<50 {
            if let (data, response) = try? await URLSession.shared.data(from: url),
               (response as? HTTPURLResponse)?.statusCode == 200 {
                body = String(decoding: data, as: UTF8.self)
                if body.contains("pg_up 1") { break }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        return body
    }

    static func freePort() throws -> UInt16 {
        UInt16(try SilentListener.freePort())
    }

    @Test("every postgres_exporter family is in Vigil's output with the same type and label names",
          .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")), .timeLimit(.minutes(1)))
    func compare() async throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        guard let exporter = TestEnvironment.tool("prometheus-postgres-exporter") else { return }
        // A table, a replication slot and an index so the optional families have rows.
        try runSQL(dsn, [
            "CREATE TABLE IF NOT EXISTS vigil_compare_t (id int PRIMARY KEY, v text)",
            "INSERT INTO vigil_compare_t VALUES (1, 'x') ON CONFLICT DO NOTHING",
            "SELECT pg_create_physical_replication_slot('vigil_compare_slot') WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = 'vigil_compare_slot')",
        ])

        let body = try await Self.scrapeExporter(exporter, dsn: dsn)
        #expect(body.contains("pg_up 1"), "postgres_exporter did not reach the server")
        let theirs = try ExpositionParser.parse(body)

        let collector = PostgresCollector(options: PostgresCollectorOptions(dsn: dsn))
        defer { collector.close() }
        var ours = try collectOnce(collector)
        // The Scheduler adds the up metric.
        ours.append(.gauge("pg_up", "up", value: 1))
        let rendered = String(decoding: ExpositionRenderer.render(ours, format: .text), as: UTF8.self)
        let mine = Dictionary(try ExpositionParser.parse(rendered).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

        var compared = 0
        for family in theirs {
            let name = family.name
            // process_ families are checked against Vigil's ProcessCollector below.
            if name.hasPrefix("go_") || name.hasPrefix("process_") || name.hasPrefix("promhttp_") { continue }
            if Self.droppedInCurrent.contains(name) || Self.exporterIdentity.contains(name) { continue }
            let want = Self.renames[name] ?? Current(name: name, type: family.type, labels: family.labelNames.subtracting(Self.legacyConstantLabels))
            guard let got = mine[want.name] else {
                Issue.record("missing family \(want.name) (postgres_exporter: \(name))")
                continue
            }
            #expect(got.type == want.type, "\(want.name): type \(got.type), postgres_exporter \(want.type)")
            #expect(got.labelNames == want.labels, "\(want.name): labels \(got.labelNames.sorted()), postgres_exporter \(want.labels.sorted())")
            compared += 1
        }
        #expect(compared > 100)
        try Self.checkProcessFamilies(theirs)
        try runSQL(dsn, ["SELECT pg_drop_replication_slot('vigil_compare_slot')"])
    }

    /// The exporter's process families (client_golang's process collector) against Vigil's
    /// ProcessCollector: same names and types, and the same address-space limit, since both
    /// processes inherit this test's limits.
    static func checkProcessFamilies(_ theirs: [ExpositionParser.ParsedFamily]) throws {
        let context = CollectContext(startedAt: Date(), deadline: .now + .seconds(5))
        let rendered = String(decoding: ExpositionRenderer.render(try ProcessCollector().collect(context), format: .text), as: UTF8.self)
        let mine = Dictionary(try ExpositionParser.parse(rendered).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var compared = 0
        for family in theirs where family.name.hasPrefix("process_") {
            compared += 1
            guard let got = mine[family.name] else {
                Issue.record("Vigil's process metrics lack \(family.name) (\(family.type))")
                continue
            }
            #expect(got.type == family.type, "\(family.name): Vigil \(got.type), exporter \(family.type)")
        }
        #expect(compared >= 6, "only \(compared) process families compared")
        let limit = "process_virtual_memory_max_bytes"
        #expect(mine[limit]?.samples.first?.value == theirs.first(where: { $0.name == limit })?.samples.first?.value)
    }
}
