import Foundation
import Testing
import VigilCore
@testable import PostgresCollector
import VigilTestSupport

@Suite("PostgresCollector against a real server", .serialized)
struct PostgresCollectorIntegrationTests {
    @Test("a collection has the probe, postgres_exporter's self-metrics, and every collector succeeds",
          .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")))
    func collects() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        let c = PostgresCollector(options: PostgresCollectorOptions(dsn: dsn))
        defer { c.close() }
        #expect(c.kind == "postgres")
        #expect(c.upMetric == "pg_up")
        let first = try collectOnce(c)
        let families = try collectOnce(c)  // the second cycle reuses the connection
        let probe = try #require(family(families, "pg_probe_duration_seconds"))
        #expect(probe.type == .gauge)
        #expect((probe.samples.first?.value ?? -1) > 0)
        #expect((probe.samples.first?.value ?? 1) < 1)
        #expect(family(families, "pg_exporter_scrapes_total")?.samples.first?.value == 2)
        #expect(family(first, "pg_exporter_scrapes_total")?.samples.first?.value == 1)
        #expect(family(families, "pg_exporter_last_scrape_error")?.samples.first?.value == 0)
        let success = try #require(family(families, "pg_scrape_collector_success"))
        for s in success.samples {
            #expect(s.value == 1, "collector \(s.labels["collector"] ?? "?") failed")
        }
        // No duplicate series and no duplicate families.
        #expect(Set(families.map(\.name)).count == families.count)
        for f in families {
            let keys = f.samples.map { "\($0.suffix)|\($0.labels)" }
            #expect(Set(keys).count == keys.count, "duplicate series in \(f.name)")
        }
        let statements = try #require(family(families, "vigil_postgres_collection_statements")?.samples.first?.value)
        #expect(statements > 10 && statements < 60)
        let staticInfo = try #require(family(families, "pg_static")?.samples.first)
        #expect(staticInfo.labels["short_version"]?.hasPrefix("1") == true)
        #expect(staticInfo.labels["version"]?.hasPrefix("PostgreSQL ") == true)
    }

    @Test("Vigil's own sessions are not counted in pg_stat_activity_count", .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")))
    func ownSessionExcluded() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        var options = PostgresCollectorOptions(dsn: dsn)
        options.applicationName = "vigil-self-test"
        let c = PostgresCollector(options: options)
        defer { c.close() }
        let families = try collectOnce(c)
        let activity = try #require(family(families, "pg_stat_activity_count"))
        #expect(!activity.samples.contains { $0.labels["application_name"] == "vigil-self-test" && $0.value > 0 })
        #expect(activity.samples.allSatisfy { $0.labels.names == ["datname", "state", "usename", "application_name", "backend_type", "wait_event_type", "wait_event"] })
    }

    @Test("a lost connection is replaced without a failed cycle", .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")))
    func reconnects() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        var options = PostgresCollectorOptions(dsn: dsn)
        options.applicationName = "vigil-reconnect-test"
        let c = PostgresCollector(options: options)
        defer { c.close() }
        _ = try collectOnce(c)
        try runSQL(dsn, ["SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'vigil-reconnect-test'"])
        let families = try collectOnce(c)
        #expect(family(families, "pg_exporter_scrapes_total")?.samples.first?.value == 2)
        #expect(family(families, "pg_exporter_last_scrape_error")?.samples.first?.value == 0)
    }
}

@Suite("PostgresCollector with unreachable servers")
struct PostgresCollectorUnreachableTests {
    @Test("a silent server makes collect throw within the cycle's deadline")
    func silent() throws {
        let server = try SilentListener()
        let c = PostgresCollector(options: PostgresCollectorOptions(dsn: "postgresql://u:pw@127.0.0.1:\(server.port)/db"))
        defer { c.close() }
        let start = ContinuousClock.now
        #expect(throws: PostgresError.self) { try collectOnce(c, timeout: 0.5) }
        #expect(ContinuousClock.now - start < .seconds(1.5))
    }

    @Test("a refused connection throws, and retries wait for the backoff")
    func refused() throws {
        let port: UInt16
        do { let s = try SilentListener(); port = UInt16(s.port) }
        let c = PostgresCollector(options: PostgresCollectorOptions(dsn: "host=127.0.0.1 port=\(port) user=u password=sekrit dbname=d"))
        defer { c.close() }
        for attempt in 0..<3 {
            do {
                _ = try collectOnce(c, timeout: 2)
                Issue.record("expected a failure")
            } catch let e as PostgresError {
                #expect(!e.description.contains("sekrit"))
                if attempt == 2 { #expect(e.description.contains("next attempt in")) }
            }
        }
    }
}
