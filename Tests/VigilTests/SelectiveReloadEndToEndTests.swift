import Foundation
import Testing
import VigilTestSupport

/// A reload restarts only the targets whose configuration changed, against the real servers.
@Suite("a reload restarts only what changed", .serialized)
struct SelectiveReloadEndToEndTests {
    static func config(pg: String, redis: String, tag: String, statementTimeout: String, second: String) -> String {
        """
        global: {collect_interval: 1s}
        postgres:
          targets:
            - {name: main, dsn: "\(pg)", all_databases: false, application_name: "\(tag)-pg", statement_timeout: \(statementTimeout)}
        redis:
          targets:
            - {name: cache, url: "\(redis)", client_name: "\(tag)-cache"}
            - {name: \(second), url: "\(redis)", client_name: "\(tag)-\(second)"}

        """
    }

    /// `id=` of each Redis client named `name`.
    static func redisClientIDs(_ cli: String, _ url: String, name: String) -> [String] {
        let out = (try? Subprocess.run(cli, ["-u", url, "CLIENT", "LIST"]))?.stdout ?? ""
        return out.split(separator: "\n").filter { $0.contains(" name=\(name) ") }.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("id=") }.map(String.init)
        }
    }

    /// Backend pids of the sessions with `application_name`.
    static func backendPIDs(_ psql: String, _ dsn: String, application: String) -> Set<String> {
        let sql = "SELECT pid FROM pg_stat_activity WHERE application_name = '\(application)'"
        let out = (try? Subprocess.run(psql, [dsn, "-XAtc", sql]))?.stdout ?? ""
        return Set(out.split(separator: "\n").map { String($0) }.filter { !$0.isEmpty })
    }

    static func row(_ page: String, kind: String, name: String) -> String? {
        for up in ["1", "0", ""] where page.contains("data-kind=\"\(kind)\" data-up=\"\(up)\"><td>\(name)</td>") { return up }
        return nil
    }

    @Test("a changed PostgreSQL target reconnects; the unchanged Redis target keeps its connection, its status and its counters; a removed one leaves /metrics, an added one starts")
    func onlyTheChangedTargetRestarts() throws {
        guard let bin = TestEnvironment.vigilBinary, let pg = TestEnvironment.postgresDSN, let redis = TestEnvironment.redisURL,
              let cli = TestEnvironment.tool("redis-cli"), let psql = TestEnvironment.tool("psql") else { return }
        let tag = "vigil-sel-\(UInt32.random(in: 0...UInt32.max))"
        let vigil = try VigilProcess(binary: bin, config: Self.config(pg: pg, redis: redis, tag: tag, statementTimeout: "5s", second: "old"))
        #expect(vigil.waitReady(), "\(vigil.log)")
        #expect(eventually(20) {
            vigil.value("pg_up") == 1 && vigil.value("redis_up{server=\"cache\"}") == 1 && vigil.value("redis_up{server=\"old\"}") == 1
        }, "\(vigil.metrics())")
        let cacheIDs = Self.redisClientIDs(cli, redis, name: "\(tag)-cache")
        #expect(cacheIDs.count == 1, "\(cacheIDs)")
        let pgPIDs = Self.backendPIDs(psql, pg, application: "\(tag)-pg")
        #expect(!pgPIDs.isEmpty)
        let scrapesBefore = try #require(vigil.value("redis_exporter_scrapes_total{server=\"cache\"}"))
        let reloadsBefore = vigil.log.components(separatedBy: "configuration reloaded").count

        // PostgreSQL's statement_timeout changes, `old` goes, `new` comes (two Redis targets
        // still, so `cache` keeps its server label), `cache` stays as it was.
        try vigil.write(config: Self.config(pg: pg, redis: redis, tag: tag, statementTimeout: "4s", second: "new"))
        #expect(try vigil.get("/-/reload", method: "POST").status == 200)
        // From the answer until the new targets collect: the unchanged target is never shown
        // waiting (unknown) or down, its series never leave /metrics, its counter never drops.
        var observations = 0
        var problems: [String] = []
        let settled = eventually(20) {
            observations += 1
            let page = (try? vigil.get("/").text) ?? ""
            let state = Self.row(page, kind: "redis", name: "cache")
            if state != "1" { problems.append("status page shows cache as \(state ?? "absent")") }
            let text = vigil.metrics()
            if VigilProcess.value("redis_up{server=\"cache\"}", in: text) != 1 { problems.append("redis_up{server=\"cache\"} missing or 0") }
            if let s = VigilProcess.value("redis_exporter_scrapes_total{server=\"cache\"}", in: text), s < scrapesBefore {
                problems.append("redis_exporter_scrapes_total went from \(scrapesBefore) to \(s)")
            }
            return vigil.log.components(separatedBy: "configuration reloaded").count > reloadsBefore
                && VigilProcess.value("redis_up{server=\"new\"}", in: text) == 1
                && VigilProcess.value("pg_up", in: text) == 1
                && !Self.backendPIDs(psql, pg, application: "\(tag)-pg").isEmpty
        }
        #expect(settled, "\(vigil.log)")
        #expect(problems.isEmpty, "\(problems.prefix(5)) in \(observations) observations")
        #expect(observations > 0)

        // The same Redis connection; a new PostgreSQL session.
        #expect(Self.redisClientIDs(cli, redis, name: "\(tag)-cache") == cacheIDs)
        let newPIDs = Self.backendPIDs(psql, pg, application: "\(tag)-pg")
        #expect(!newPIDs.isEmpty && newPIDs.isDisjoint(with: pgPIDs), "before \(pgPIDs), after \(newPIDs)")
        // The removed target's series left; its connection closed.
        let text = vigil.metrics()
        #expect(VigilProcess.value("redis_up{server=\"old\"}", in: text) == nil, "\(text)")
        #expect(eventually(10) { Self.redisClientIDs(cli, redis, name: "\(tag)-old").isEmpty })
        // The log line of the reload says what it did.
        let line = vigil.log.split(separator: "\n").last { $0.contains("configuration reloaded") }.map(String.init) ?? ""
        #expect(line.contains("restarted=postgres/main") && line.contains("added=redis/new") && line.contains("removed=redis/old")
                && line.contains("kept=2"), "\(line)")
        // The kept target goes on collecting: its counter grows past where it was (at its next
        // cycle, which may come after the new targets settled).
        #expect(eventually(10) { (vigil.value("redis_exporter_scrapes_total{server=\"cache\"}") ?? 0) > scrapesBefore },
                "redis_exporter_scrapes_total{server=\"cache\"} stayed at \(scrapesBefore)")
        _ = vigil.terminate()
    }

    @Test("reloading an unchanged file restarts nothing: every connection stays")
    func unchangedFileKeepsEverything() throws {
        guard let bin = TestEnvironment.vigilBinary, let pg = TestEnvironment.postgresDSN, let redis = TestEnvironment.redisURL,
              let cli = TestEnvironment.tool("redis-cli"), let psql = TestEnvironment.tool("psql") else { return }
        let tag = "vigil-same-\(UInt32.random(in: 0...UInt32.max))"
        let config = Self.config(pg: pg, redis: redis, tag: tag, statementTimeout: "5s", second: "other")
        let vigil = try VigilProcess(binary: bin, config: config)
        #expect(vigil.waitReady(), "\(vigil.log)")
        #expect(eventually(20) { vigil.value("pg_up") == 1 && vigil.value("redis_up{server=\"other\"}") == 1 })
        let ids = Self.redisClientIDs(cli, redis, name: "\(tag)-cache") + Self.redisClientIDs(cli, redis, name: "\(tag)-other")
        let pids = Self.backendPIDs(psql, pg, application: "\(tag)-pg")
        #expect(ids.count == 2 && !pids.isEmpty)
        func unchangedReloads() -> Int {
            vigil.log.split(separator: "\n").filter {
                $0.contains("configuration reloaded") && $0.contains("kept=4") && $0.contains("restarted=\"\"")
                    && $0.contains("added=\"\"") && $0.contains("removed=\"\"")
            }.count
        }
        for n in 1...3 {
            vigil.signal(SIGHUP)
            #expect(eventually(10) { unchangedReloads() == n }, "\(vigil.log)")
        }
        #expect(Self.redisClientIDs(cli, redis, name: "\(tag)-cache") + Self.redisClientIDs(cli, redis, name: "\(tag)-other") == ids)
        #expect(Self.backendPIDs(psql, pg, application: "\(tag)-pg") == pids)
        _ = vigil.terminate()
    }
}
