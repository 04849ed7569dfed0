import Foundation
import Testing
import VigilCore
@testable import PostgresCollector
import VigilTestSupport

/// Driven by scripts/bench-postgres (VIGIL_BENCH_PG=1): runs collections back to back against
/// VIGIL_TEST_PG_DSN and prints one `VIGIL_BENCH` line with the per-collection cost. Each
/// collection is preceded by `connect`, as the Scheduler does. VIGIL_BENCH_SIZE_INTERVAL
/// (seconds) sets `size_interval` (default: the option's). With VIGIL_BENCH_PG_POSTMASTER (the
/// server's postmaster pid, a server on this machine) the line also carries the server's CPU
/// ticks over exactly the collections (`server_cpu_ticks`), so the test process' own start-up
/// and exit, during which the server only idles, stay out of the figure.
@Suite("Benchmark: PostgreSQL collection cost")
struct PostgresBenchmark {
    static var enabled: Bool { ProcessInfo.processInfo.environment["VIGIL_BENCH_PG"] == "1" }

    /// CPU ticks of a process tree as scripts/bench-postgres counts it: the postmaster's own
    /// and its reaped children's (utime, stime, cutime, cstime), plus its live children's.
    static func serverTicks(postmaster: Int) -> Int {
        func fields(_ pid: Int) -> [Substring]? {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = text.lastIndex(of: ")") else { return nil }
            // After "pid (comm)": state is field 3, ppid 4, utime 14 … cstime 17.
            return text[text.index(after: close)...].split(separator: " ")
        }
        func tick(_ f: [Substring], _ field: Int) -> Int { Int(f[field - 3]) ?? 0 }
        guard let own = fields(postmaster), own.count > 14 else { return 0 }
        var total = tick(own, 14) + tick(own, 15) + tick(own, 16) + tick(own, 17)
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap(Int.init) ?? []
        for pid in pids {
            guard let f = fields(pid), f.count > 12, Int(f[1]) == postmaster else { continue }
            total += tick(f, 14) + tick(f, 15)
        }
        return total
    }

    @Test("collections back to back", .enabled(if: enabled && TestEnvironment.has("VIGIL_TEST_PG_DSN")), .timeLimit(.minutes(5)))
    func collections() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        let n = max(1, Int(ProcessInfo.processInfo.environment["VIGIL_BENCH_COLLECTIONS"] ?? "") ?? 20)
        var options = PostgresCollectorOptions(dsn: dsn)
        options.allDatabases = ProcessInfo.processInfo.environment["VIGIL_BENCH_ALL_DATABASES"] != "0"
        if let s = ProcessInfo.processInfo.environment["VIGIL_BENCH_SIZE_INTERVAL"].flatMap(Double.init) { options.sizeInterval = s }
        let postmaster = ProcessInfo.processInfo.environment["VIGIL_BENCH_PG_POSTMASTER"].flatMap(Int.init)
        let ticksBefore = postmaster.map { Self.serverTicks(postmaster: $0) }
        let c = PostgresCollector(options: options)
        defer { c.close() }
        try c.connect(deadline: .after(seconds: 30))
        _ = try collectOnce(c, timeout: 30)  // connections and the first size pass, outside the harness' wall times
        var statements = 0.0
        var walls: [Double] = []
        for _ in 0..<n {
            let start = ContinuousClock.now
            try c.connect(deadline: .after(seconds: 30))
            let f = try collectOnce(c, timeout: 30)
            walls.append((ContinuousClock.now - start).seconds)
            statements += family(f, "vigil_postgres_collection_statements")?.samples.first?.value ?? 0
            #expect(family(f, "pg_exporter_last_scrape_error")?.samples.first?.value == 0)
        }
        // The server's ticks before the connections close: their exit is not a collection's.
        let ticks = postmaster.map { Self.serverTicks(postmaster: $0) - (ticksBefore ?? 0) }
        walls.sort()
        print(String(format: "VIGIL_BENCH all_databases=%d size_interval_s=%g collections=%d statements_per_collection=%.1f wall_median_s=%.4f wall_p90_s=%.4f",
                     options.allDatabases ? 1 : 0, options.sizeInterval, n, statements / Double(n), walls[walls.count / 2], walls[min(walls.count - 1, walls.count * 9 / 10)])
              + (ticks.map { " server_cpu_ticks=\($0)" } ?? ""))
        #expect(statements > 0)
    }
}
