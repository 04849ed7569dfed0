import Foundation
import Testing
import VigilCore
@testable import Vigil

/// The identities the configuration gives its targets, as a reload compares them: equal for
/// the same file read twice, different when anything the collector uses changed.
@Suite("target identities across reloads of the configuration")
struct ReloadIdentityTests {
    static func identities(_ yaml: String, dir: URL) throws -> [String: TargetIdentity] {
        let config = try VigilConfig.parse(yaml: yaml, file: "vigil.yml", environment: [:], baseDirectory: dir.path)
        let kinds = ["postgres": "postgres", "redis": "redis", "scrape_configs": "scrape", "probes": "probe", "backups": "backup"]
        return Dictionary(uniqueKeysWithValues: config.targets.map { t in
            let id = t.identity(collectorKind: kinds[t.kind] ?? t.kind)
            return (id.key, id)
        })
    }

    static let everyKind = """
        postgres:
          targets: [{name: main, dsn: "host=127.0.0.1 port=5432 dbname=app", size_interval: 5m}]
        redis:
          targets: [{name: cache, url: "redis://127.0.0.1:6379/0", password_file: pw, check_keys: ["db0=a*"]}]
        scrape_configs:
          - job_name: app
            basic_auth: {username: u, password: p}
            params: {module: [a, b]}
            metric_relabel_configs: [{source_labels: [__name__], regex: "go_.*", action: drop}]
            static_configs: [{targets: ["127.0.0.1:9000"]}]
        probes:
          - name: web
            prober: http
            target: "http://127.0.0.1:1/"
            http: {fail_if_body_matches_regexp: ["error"]}
        backups:
          - {name: dumps, path: "/var/backups/*.gz"}
        """

    @Test("the same file read twice gives every kind of target the same identity")
    func sameFileSameIdentities() throws {
        let dir = try TestDirectory()
        try "secret\n".write(to: dir.url.appendingPathComponent("pw"), atomically: true, encoding: .utf8)
        let first = try Self.identities(Self.everyKind, dir: dir.url)
        let second = try Self.identities(Self.everyKind, dir: dir.url)
        #expect(first.count == 5)
        #expect(first == second)
    }

    @Test("a changed option, a rewritten password file or a new sibling (the server label) changes only that target's identity")
    func changesAreSeen() throws {
        let dir = try TestDirectory()
        let pw = dir.url.appendingPathComponent("pw")
        try "secret\n".write(to: pw, atomically: true, encoding: .utf8)
        let before = try Self.identities(Self.everyKind, dir: dir.url)

        let sizeChanged = try Self.identities(Self.everyKind.replacingOccurrences(of: "size_interval: 5m", with: "size_interval: 1m"), dir: dir.url)
        #expect(sizeChanged["postgres/main"] != before["postgres/main"])
        #expect(sizeChanged.filter { $0.key != "postgres/main" } == before.filter { $0.key != "postgres/main" })

        let relabel = try Self.identities(Self.everyKind.replacingOccurrences(of: "go_.*", with: "process_.*"), dir: dir.url)
        #expect(relabel["scrape/app/127.0.0.1:9000"] != before["scrape/app/127.0.0.1:9000"])
        #expect(relabel["redis/cache"] == before["redis/cache"])

        let scrapePassword = try Self.identities(Self.everyKind.replacingOccurrences(of: "password: p}", with: "password: q}"), dir: dir.url)
        #expect(scrapePassword["scrape/app/127.0.0.1:9000"] != before["scrape/app/127.0.0.1:9000"])

        let probeRegex = try Self.identities(Self.everyKind.replacingOccurrences(of: "[\"error\"]", with: "[\"fatal\"]"), dir: dir.url)
        #expect(probeRegex["probe/web"] != before["probe/web"])

        // The password file is read at every reconnect: the running connection used the old one.
        try "rotated\n".write(to: pw, atomically: true, encoding: .utf8)
        let rotated = try Self.identities(Self.everyKind, dir: dir.url)
        #expect(rotated["redis/cache"] != before["redis/cache"])
        #expect(rotated["postgres/main"] == before["postgres/main"])

        // A second PostgreSQL target puts `server` on the first one's series: it changes too.
        let two = try Self.identities(Self.everyKind.replacingOccurrences(
            of: "size_interval: 5m}]", with: "size_interval: 5m}, {name: other, dsn: \"host=127.0.0.1\"}]"), dir: dir.url)
        #expect(two["postgres/main"] != before["postgres/main"])
        #expect(two["postgres/main"]?.labels == [Label("server", "main")])
        #expect(two["postgres/other"] != nil)
    }

    @Test("a changed custom queries file changes its PostgreSQL target's identity")
    func queriesFileContents() throws {
        let dir = try TestDirectory()
        let queries = dir.url.appendingPathComponent("queries.yaml")
        let query = """
            pg_app:
              query: "SELECT 1 AS one"
              metrics:
                - one: {usage: GAUGE, description: "one"}

            """
        try query.write(to: queries, atomically: true, encoding: .utf8)
        let yaml = "postgres:\n  targets: [{name: main, dsn: \"host=127.0.0.1\", queries_file: queries.yaml}]\n"
        let before = try Self.identities(yaml, dir: dir.url)
        #expect(try Self.identities(yaml, dir: dir.url) == before)
        try query.replacingOccurrences(of: "SELECT 1", with: "SELECT 2").write(to: queries, atomically: true, encoding: .utf8)
        #expect(try Self.identities(yaml, dir: dir.url)["postgres/main"] != before["postgres/main"])
    }

    /// A temporary directory removed when released.
    final class TestDirectory {
        let url: URL
        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-identity-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(at: url) }
    }
}
