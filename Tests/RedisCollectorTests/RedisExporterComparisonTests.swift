import Foundation
import VigilCore
import Logging
import Testing
import VigilCore
@testable import RedisCollector
import VigilTestSupport

/// Runs Debian's prometheus-redis-exporter and Vigil against the same Redis and checks that
/// every family the exporter exports (apart from Go and process runtime families) is in
/// Vigil's output with the same type and label names.
@Suite("Family comparison with prometheus-redis-exporter", .serialized)
struct RedisExporterComparisonTests {
    /// Where Debian's exporter (1.45) and the current redis_exporter generation, which Vigil
    /// follows, differ. Each entry is checked to still be a difference, so the list cannot rot.
    static let typeChanges: [String: (debian: String, vigil: String)] = [
        // Current redis_exporter lists the field in its counter map as well; the counter type wins there.
        "redis_expired_time_cap_reached_total": ("gauge", "counter"),
    ]
    /// Labels the current generation added to a family.
    static let addedLabels: [String: Set<String>] = [
        "redis_instance_info": ["master_replid"],
        // The current generation adds the client's ACL user and protocol when Redis reports them.
        "redis_connected_clients_details": ["user", "resp"],
    ]

    /// Starts the exporter on a free loopback port and returns its parsed families.
    static func scrapeExporter(redisURL: String, countKeys: String, extraArguments: [String] = []) throws -> String? {
        guard let exe = TestEnvironment.tool("prometheus-redis-exporter") else { return nil }
        let port = try SilentListener.freePort()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["-redis.addr", redisURL, "-web.listen-address", "127.0.0.1:\(port)", "-ping-on-connect", "-count-keys", countKeys] + extraArguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { stopChild(p) }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let body = try? curl("http://127.0.0.1:\(port)/metrics"), body.contains("redis_up") {
                return body
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        Issue.record("prometheus-redis-exporter did not answer on 127.0.0.1:\(port)")
        return nil
    }

    static func curl(_ url: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestEnvironment.executable("curl") ?? "/usr/bin/curl")
        p.arguments = ["-sf", "--max-time", "5", url]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CocoaError(.fileReadUnknown) }
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs Vigil's collector under the real Scheduler and parses the rendered text body.
    static func scrapeVigil(redisURL: String, pattern: RedisKeyPattern, tls: TLSOptions? = nil,
                            configure: (inout RedisCollectorOptions) -> Void = { _ in }) throws -> String {
        var options = RedisCollectorOptions(url: redisURL, tls: tls, keyPatterns: [pattern])
        configure(&options)
        let collector = try RedisCollector(options: options, logger: Logger(label: "test"))
        let store = SnapshotStore()
        let scheduler = Scheduler(targets: [TargetSpec(name: "compare", interval: 1, timeout: 5, collector: collector)],
                                  store: store, logger: Logger(label: "test"))
        scheduler.start()
        defer { scheduler.stop() }
        let deadline = Date().addingTimeInterval(10)
        while !store.isReady, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(store.isReady)
        return String(decoding: store.body(.text, gzip: false), as: UTF8.self)
    }

    static func seed(_ redisURL: String, tls: TLSOptions? = nil) throws {
        let admin = try RedisCollectorIntegrationTests.admin(redisURL, tls: tls)
        // State that makes optional families appear: expiring keys, an error, counted keys.
        _ = try admin.command(["SET", "vigil-compare:1", "a", "EX", "600"])
        _ = try admin.command(["SET", "vigil-compare:2", "b"])
        _ = try admin.command(["GET", "vigil-compare:missing"])
        _ = try admin.command(["NOSUCHCOMMAND-VIGIL"])
    }

    static func compare(redisURL: String, tls: TLSOptions? = nil, exporterArguments: [String] = [],
                        configure: (inout RedisCollectorOptions) -> Void = { _ in })
        throws -> (exporter: [String: ExpositionParser.ParsedFamily], vigil: [String: ExpositionParser.ParsedFamily])? {
        try seed(redisURL, tls: tls)
        guard let exporterBody = try scrapeExporter(redisURL: redisURL, countKeys: "db0=vigil-compare:*", extraArguments: exporterArguments) else { return nil }
        let exporter = try ExpositionParser.parse(exporterBody)
        let vigil = try ExpositionParser.parse(try scrapeVigil(redisURL: redisURL, pattern: .init(db: 0, pattern: "vigil-compare:*"), tls: tls, configure: configure))
        let e = Dictionary(exporter.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let v = Dictionary(vigil.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

        var compared = 0
        for f in exporter where !f.name.hasPrefix("go_") && !f.name.hasPrefix("process_") && !f.name.hasPrefix("promhttp_") {
            compared += 1
            guard let mine = v[f.name] else {
                Issue.record("Vigil lacks \(f.name) (\(f.type), labels \(f.labelNames.sorted()))")
                continue
            }
            if let change = typeChanges[f.name] {
                #expect(f.type == change.debian && mine.type == change.vigil, "\(f.name): documented type change no longer holds")
            } else {
                #expect(mine.type == f.type, "\(f.name): Vigil \(mine.type), exporter \(f.type)")
            }
            let added = addedLabels[f.name] ?? []
            #expect(mine.labelNames.subtracting(added) == f.labelNames,
                    "\(f.name): Vigil labels \(mine.labelNames.sorted()), exporter \(f.labelNames.sorted())")
        }
        // Debian's 1.45 exports about 120 Redis families against a 7.0 server; a tiny number
        // would mean the scrape went wrong, not that Vigil matches.
        #expect(compared >= 100, "only \(compared) exporter families compared")
        try checkProcessFamilies(exporter)
        return (e, v)
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

    @Test("every family the exporter exports is in Vigil's output with the same type and label names")
    func sameFamilies() throws {
        guard let url = TestEnvironment.redisURL else { return }
        guard let (e, v) = try Self.compare(redisURL: url) else { return }
        // Sanity: the comparison covered the families the issue names.
        for name in ["redis_up", "redis_memory_used_bytes", "redis_commands_total", "redis_db_keys", "redis_errors_total",
                     "redis_keys_count", "redis_exporter_last_scrape_ping_time_seconds", "redis_config_maxmemory",
                     "redis_latency_percentiles_usec", "redis_slowlog_length", "redis_instance_info"] {
            #expect(e[name] != nil && v[name] != nil, "\(name) on both sides")
        }
        #expect(v["redis_keys_count"]?.samples.first?.value == e["redis_keys_count"]?.samples.first?.value)
    }

    @Test("over TLS with a client certificate (--tls-auth-clients yes) both sides export the same families")
    func overTLS() throws {
        guard let server = try RedisTLSTests.server(clientCertificates: true) else { return }
        defer { server.stop() }
        let c = server.certificates
        let tls = TLSOptions(caFile: c.caFile, certFile: c.clientCert, keyFile: c.clientKey)
        guard let (e, v) = try Self.compare(redisURL: server.url(), tls: tls, exporterArguments: [
            "-tls-ca-cert-file", c.caFile, "-tls-client-cert-file", c.clientCert, "-tls-client-key-file", c.clientKey,
        ]) else { return }
        #expect(e["redis_up"]?.samples.first?.value == 1, "redis_exporter reached the TLS server")
        #expect(v["redis_up"]?.samples.first?.value == 1, "Vigil reached the TLS server")
        #expect(v["redis_keys_count"]?.samples.first?.value == 2)
        #expect(v["redis_keys_count"]?.samples.first?.value == e["redis_keys_count"]?.samples.first?.value)
    }

    @Test("a master and its replica show the replication families on both sides")
    func replication() throws {
        guard let master = TestEnvironment.redisURL else { return }
        guard let replica = TestEnvironment.value("VIGIL_TEST_REDIS_REPLICA_URL") else { return }
        guard let (me, mv) = try Self.compare(redisURL: master) else { return }
        for name in ["redis_connected_slave_offset_bytes", "redis_connected_slave_lag_seconds", "redis_connected_slaves"] {
            #expect(me[name] != nil && mv[name] != nil, "master: \(name) on both sides")
        }
        guard let (re, rv) = try Self.compare(redisURL: replica) else { return }
        for name in ["redis_master_link_up", "redis_master_last_io_seconds_ago", "redis_master_sync_in_progress",
                     "redis_slave_repl_offset", "redis_slave_info"] {
            #expect(re[name] != nil && rv[name] != nil, "replica: \(name) on both sides")
        }
        #expect(rv["redis_master_link_up"]?.samples.first?.value == 1)
    }

    /// `promtool check metrics` findings as "metric problem" lines.
    static func promtoolFindings(_ body: String) throws -> Set<String>? {
        try Promtool.checkMetrics(body).map(Set.init)
    }

    /// Findings on families of the current redis_exporter generation that Debian's 1.45 does not
    /// export (so its output cannot show them); each keeps redis_exporter's name.
    static let currentGenerationFindings: Set<String> = [
        "redis_rdb_saves_total non-counter metrics should not have \"_total\" suffix",
        "redis_current_eviction_exceeded_time_ms metric names should not contain abbreviated units",
        "redis_expire_cycle_cpu_time_ms_total metric names should not contain abbreviated units",
        "redis_eviction_exceeded_time_ms_total metric names should not contain abbreviated units",
        "redis_memory_used_vm_total non-counter metrics should not have \"_total\" suffix",
    ]

    @Test("promtool check metrics flags on Vigil only what it flags on redis_exporter")
    func promtool() throws {
        guard let url = TestEnvironment.redisURL else { return }
        try Self.seed(url)
        guard let exporterBody = try Self.scrapeExporter(redisURL: url, countKeys: "db0=vigil-compare:*"),
              let exporterFindings = try Self.promtoolFindings(exporterBody) else { return }
        let vigilBody = try Self.scrapeVigil(redisURL: url, pattern: .init(db: 0, pattern: "vigil-compare:*"))
        guard let vigilFindings = try Self.promtoolFindings(vigilBody) else { return }
        let extra = vigilFindings.subtracting(exporterFindings).subtracting(Self.currentGenerationFindings)
        #expect(extra.isEmpty, "promtool flags on Vigil but not on redis_exporter: \(extra.sorted())")
        // The allowance is only for families Vigil exports and Debian's exporter does not.
        let vigilNames = Set(try ExpositionParser.parse(vigilBody).map(\.name))
        let exporterNames = Set(try ExpositionParser.parse(exporterBody).map(\.name))
        for finding in Self.currentGenerationFindings {
            let name = String(finding.prefix(while: { $0 != " " }))
            #expect(vigilNames.contains(name) && !exporterNames.contains(name), "stale allowance: \(finding)")
        }
    }
}
