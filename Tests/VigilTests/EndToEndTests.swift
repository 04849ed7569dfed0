import Foundation
import Testing
import VigilCore
import VigilTestSupport

/// The foundation promises, checked on the real binary against the real servers that
/// scripts/test starts. Serialized: some tests stop and restart those servers.
@Suite("vigil end to end", .serialized)
struct EndToEndTests {
    static func config(pg: String?, redis: String?, interval: String = "1s", extraPG: String = "", extraRedis: String = "") -> String {
        var s = "global:\n  collect_interval: \(interval)\n"
        if let pg {
            // Only the DSN's database: the shared test server holds many databases of other
            // suites (2,000 tables among them), which the 1 s cycles here are not about.
            s += "postgres:\n  targets:\n    - name: main\n      dsn: \"\(pg)\"\n      all_databases: false\n\(extraPG)"
        }
        if let redis {
            s += "redis:\n  targets:\n    - name: main\n      url: \"\(redis)\"\n\(extraRedis)"
        }
        return s
    }

    @Test("/metrics shows pg_up 1 and redis_up 1 with the probe times, process metrics and self-metrics")
    func upAndRunning() throws {
        guard let bin = TestEnvironment.vigilBinary, let pg = TestEnvironment.postgresDSN, let redis = TestEnvironment.redisURL else { return }
        let vigil = try VigilProcess(binary: bin, config: Self.config(pg: pg, redis: redis))
        #expect(vigil.waitReady(), "never ready; log:\n\(vigil.log)")
        let text = vigil.metrics()
        #expect(VigilProcess.value("pg_up", in: text) == 1, "\(text)")
        #expect(VigilProcess.value("redis_up", in: text) == 1)
        for name in ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                     "process_open_fds", "process_max_fds", "process_start_time_seconds"] {
            #expect(VigilProcess.value(name, in: text) != nil, "missing \(name)")
        }
        #expect(text.contains("vigil_build_info{version=\"\(VigilVersion.current)\""))
        for family in ["vigil_collector_duration_seconds", "vigil_collector_success", "vigil_collector_last_success_timestamp_seconds", "vigil_collector_skipped_total"] {
            #expect(text.contains("\(family){collector=\"postgres\",target=\"main\"}"), "missing \(family) for postgres")
            #expect(text.contains("\(family){collector=\"redis\",target=\"main\"}"), "missing \(family) for redis")
        }
        // No secret on /metrics or in the log.
        if let password = URLComponents(string: pg)?.password {
            #expect(!text.contains(password))
            #expect(!vigil.log.contains(password))
        }
        #expect(vigil.terminate().status == 0)
    }

    @Test("promtool check metrics is clean on the text and the OpenMetrics bodies")
    func promtoolClean() throws {
        guard let bin = TestEnvironment.vigilBinary, let pg = TestEnvironment.postgresDSN, let redis = TestEnvironment.redisURL else { return }
        let vigil = try VigilProcess(binary: bin, config: Self.config(pg: pg, redis: redis))
        #expect(vigil.waitReady())
        for accept in ["text/plain;version=0.0.4", "application/openmetrics-text;version=1.0.0"] {
            let response = try vigil.get("/metrics", headers: ["Accept": accept])
            let isOpenMetrics = accept.hasPrefix("application/openmetrics-text")
            #expect(response.header("content-type")?.hasPrefix(isOpenMetrics ? "application/openmetrics-text" : "text/plain") == true)
            let body = isOpenMetrics ? PeerLint.openMetricsForPromtool(response.text) : response.text
            guard let lines = try Promtool.checkMetrics(body) else { return }
            var findings = PeerLint.ownFindings(lines.joined(separator: "\n"))
            if isOpenMetrics {
                findings = PeerLint.withoutOpenMetricsArtifacts(findings, body: response.text)
            }
            #expect(findings.isEmpty, "promtool on \(accept):\n\(findings.joined(separator: "\n"))")
        }
        _ = vigil.terminate()
    }

    @Test("content negotiation: OpenMetrics on request, gzip when accepted, HEAD, 405, 404, landing page")
    func httpSemantics() throws {
        guard let bin = TestEnvironment.vigilBinary, let redis = TestEnvironment.redisURL else { return }
        let vigil = try VigilProcess(binary: bin, config: Self.config(pg: nil, redis: redis))
        #expect(vigil.waitReady())
        let om = try vigil.get("/metrics", headers: ["Accept": "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;q=0.4"])
        #expect(om.header("content-type") == "application/openmetrics-text; version=1.0.0; charset=utf-8")
        #expect(om.text.hasSuffix("# EOF\n"))
        let plain = try vigil.get("/metrics")
        #expect(plain.header("content-type") == "text/plain; version=0.0.4; charset=utf-8")
        let zipped = try vigil.get("/metrics", headers: ["Accept-Encoding": "gzip"])
        #expect(zipped.header("content-encoding") == "gzip")
        let unzipped = try #require(Gzip.decompress(zipped.body))
        #expect(String(decoding: unzipped, as: UTF8.self).contains("redis_up 1"))
        let head = try vigil.get("/metrics", method: "HEAD")
        #expect(head.status == 200 && head.body.isEmpty)
        #expect(try vigil.get("/metrics", method: "DELETE").status == 405)
        #expect(try vigil.get("/nope").status == 404)
        let landing = try vigil.get("/")
        #expect(landing.status == 200 && landing.text.contains("/metrics") && landing.text.contains("/-/ready"))
        _ = vigil.terminate()
    }

    @Test("/-/ready answers 503 until the first collection round has finished, /-/healthy 200 at once")
    func readiness() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let hole = try SilentListener()
        let vigil = try VigilProcess(binary: bin, config: """
            global:
              collect_interval: 10s
              collect_timeout: 3s
            redis:
              targets:
                - name: hole
                  url: "redis://127.0.0.1:\(hole.port)"
            """)
        #expect(vigil.waitHealthy())
        #expect(try vigil.get("/-/ready").status == 503)
        #expect(vigil.waitReady(8))
        #expect(vigil.value("redis_up") == 0)
        _ = vigil.terminate()
    }

    @Test("a server that accepts and never answers stalls neither /metrics nor the other targets")
    func blackHole() throws {
        guard let bin = TestEnvironment.vigilBinary, let pg = TestEnvironment.postgresDSN, let redis = TestEnvironment.redisURL else { return }
        let hole = try SilentListener()
        let vigil = try VigilProcess(binary: bin, config: """
            global:
              collect_interval: 1s
            postgres:
              targets:
                - name: good
                  dsn: "\(pg)"
                  all_databases: false
                - name: hole
                  dsn: "postgresql://vigil@127.0.0.1:\(hole.port)/x"
                  collect_interval: 4s
            redis:
              targets:
                - name: good
                  url: "\(redis)"
                - name: hole
                  url: "redis://127.0.0.1:\(hole.port)"
                  collect_interval: 4s
            """)
        #expect(vigil.waitReady(15), "\(vigil.log)")
        // The good targets keep being collected every second while the holes hang.
        let first = vigil.value("vigil_collector_last_success_timestamp_seconds{collector=\"redis\",target=\"good\"}") ?? 0
        #expect(eventually(4) {
            (vigil.value("vigil_collector_last_success_timestamp_seconds{collector=\"redis\",target=\"good\"}") ?? 0) > first + 1.5
        })
        var slowest = 0.0
        for _ in 0..<20 {
            let start = Date()
            let r = try vigil.get("/metrics", timeout: 2)
            slowest = max(slowest, Date().timeIntervalSince(start))
            #expect(r.status == 200)
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(slowest < 0.5, "slowest /metrics took \(slowest) s")
        let text = vigil.metrics()
        #expect(VigilProcess.value("pg_up{server=\"good\"}", in: text) == 1)
        #expect(VigilProcess.value("pg_up{server=\"hole\"}", in: text) == 0)
        #expect(VigilProcess.value("redis_up{server=\"good\"}", in: text) == 1)
        #expect(VigilProcess.value("redis_up{server=\"hole\"}", in: text) == 0)
        _ = vigil.terminate()
    }

    @Test("stopping PostgreSQL turns pg_up 0 within one interval; starting it again brings pg_up 1 without a restart")
    func postgresOutage() throws {
        guard let bin = TestEnvironment.vigilBinary, let pg = TestEnvironment.outagePostgresDSN else { return }
        let vigil = try VigilProcess(binary: bin, config: Self.config(pg: pg, redis: nil, interval: "2s"))
        #expect(vigil.waitReady())
        #expect(vigil.value("pg_up") == 1)
        #expect(TestEnvironment.control("VIGIL_TEST_OUTAGE_PG_CTL", "stop"))
        defer { TestEnvironment.control("VIGIL_TEST_OUTAGE_PG_CTL", "start") }
        #expect(eventually(2 + 2 + 1) { vigil.value("pg_up") == 0 }, "\(vigil.metrics())")
        let start = Date()
        #expect(try vigil.get("/metrics").status == 200)
        #expect(Date().timeIntervalSince(start) < 0.5)
        #expect(TestEnvironment.control("VIGIL_TEST_OUTAGE_PG_CTL", "start"))
        #expect(eventually(20) { vigil.value("pg_up") == 1 }, "\(vigil.log)")
        #expect(vigil.isRunning)
        _ = vigil.terminate()
    }

    @Test("stopping Redis turns redis_up 0 within one interval; starting it again brings redis_up 1 without a restart")
    func redisOutage() throws {
        guard let bin = TestEnvironment.vigilBinary, let redis = TestEnvironment.outageRedisURL else { return }
        let vigil = try VigilProcess(binary: bin, config: Self.config(pg: nil, redis: redis, interval: "2s"))
        #expect(vigil.waitReady())
        #expect(vigil.value("redis_up") == 1)
        #expect(TestEnvironment.control("VIGIL_TEST_OUTAGE_REDIS_CTL", "stop"))
        defer { TestEnvironment.control("VIGIL_TEST_OUTAGE_REDIS_CTL", "start") }
        #expect(eventually(2 + 2 + 1) { vigil.value("redis_up") == 0 })
        #expect(TestEnvironment.control("VIGIL_TEST_OUTAGE_REDIS_CTL", "start"))
        #expect(eventually(20) { vigil.value("redis_up") == 1 }, "\(vigil.log)")
        _ = vigil.terminate()
    }

    @Test("SIGHUP applies a valid new configuration and keeps the running one when the new one is invalid")
    func reload() throws {
        guard let bin = TestEnvironment.vigilBinary, let redis = TestEnvironment.redisURL else { return }
        let vigil = try VigilProcess(binary: bin, config: Self.config(pg: nil, redis: redis))
        #expect(vigil.waitReady())
        try vigil.write(config: "redis:\n  targets: oops\n")
        vigil.signal(SIGHUP)
        #expect(eventually(5) { vigil.value("vigil_config_last_reload_successful") == 0 })
        #expect(vigil.value("redis_up") == 1)
        #expect(vigil.log.contains("reload failed"))
        let two = Self.config(pg: nil, redis: redis) + "    - name: second\n      url: \"\(redis)\"\n"
        try vigil.write(config: two)
        vigil.signal(SIGHUP)
        #expect(eventually(10) { vigil.value("redis_up{server=\"second\"}") == 1 }, "\(vigil.metrics())")
        // Vigil's own target is unchanged by the reload, so it keeps running and shows the
        // outcome at its next cycle (within one interval), as it shows a failed one.
        #expect(eventually(5) { vigil.value("vigil_config_last_reload_successful") == 1 })
        // The HTTP reload endpoint reports a bad file with the error and keeps the config.
        try vigil.write(config: "global: {collect_interval: soon}\n")
        let r = try vigil.get("/-/reload", method: "POST")
        #expect(r.status == 500 && r.text.contains("global.collect_interval"))
        #expect(vigil.value("redis_up{server=\"second\"}") == 1)
        _ = vigil.terminate()
    }

    @Test("rapid reloads apply one after the other: one scheduler, one connection per target, afterwards")
    func rapidReloads() throws {
        guard let bin = TestEnvironment.vigilBinary, let redis = TestEnvironment.redisURL,
              let cli = TestEnvironment.tool("redis-cli") else { return }
        let name = "vigil-reload-\(UInt32.random(in: 0...UInt32.max))"
        let vigil = try VigilProcess(binary: bin, config: Self.config(pg: nil, redis: redis, extraRedis: "      client_name: \(name)\n"))
        #expect(vigil.waitReady())
        // Each POST queues a swap at once (signals would coalesce); five land back to back.
        for _ in 0..<5 { #expect(try vigil.get("/-/reload", method: "POST").status == 200) }
        func connections() -> Int {
            let out = (try? Subprocess.run(cli, ["-u", redis, "CLIENT", "LIST"]))?.stdout ?? ""
            return out.split(separator: "\n").filter { $0.contains(" name=\(name) ") }.count
        }
        #expect(eventually(15) { vigil.log.components(separatedBy: "configuration reloaded").count - 1 == 5 }, "\(vigil.log)")
        Thread.sleep(forTimeInterval: 2.5)  // two more collection cycles
        #expect(connections() == 1, "Redis sees \(connections()) connections named \(name)")
        #expect(vigil.value("redis_up") == 1)
        _ = vigil.terminate()
    }

    @Test("SIGTERM stops gracefully within 5 seconds with exit status 0, even with a target hanging")
    func gracefulStop() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let hole = try SilentListener()
        let vigil = try VigilProcess(binary: bin, config: """
            global: {collect_interval: 10s, collect_timeout: 9s}
            redis:
              targets: [{name: hole, url: "redis://127.0.0.1:\(hole.port)"}]
            """)
        #expect(vigil.waitHealthy())
        Thread.sleep(forTimeInterval: 0.5)
        let (status, seconds) = vigil.terminate()
        #expect(status == 0)
        #expect(seconds < 5)
    }

    @Test("JSON logs are one JSON object per line and never hold the DSN password")
    func jsonLogs() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let port = try SilentListener.freePort()   // nothing listens here
        let vigil = try VigilProcess(binary: bin, config: """
            global: {collect_interval: 1s}
            postgres:
              targets: [{name: down, dsn: "postgresql://app:Sup3rSecretPw@127.0.0.1:\(port)/app"}]
            redis:
              targets: [{name: down, url: "redis://:An0therSecret@127.0.0.1:\(port)/0"}]
            """, arguments: ["--log-format", "json"])
        #expect(vigil.waitReady())
        #expect(eventually(5) { vigil.log.contains("collection failed") })
        _ = vigil.terminate()
        let lines = vigil.log.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["msg"] != nil, "not a JSON log line: \(line)")
        }
        #expect(!vigil.log.contains("Sup3rSecretPw"))
        #expect(!vigil.log.contains("An0therSecret"))
        #expect(!vigil.metrics().contains("Sup3rSecretPw"))
    }

    @Test("check-config exits 2 with one error line for each broken configuration, 0 and redacted output for a valid one",
          arguments: Fixtures.badConfigs)
    func checkConfig(file: String) throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let out = try Subprocess.run(bin, ["check-config", file], environment: ["PATH": "/usr/bin:/bin"])
        #expect(out.status == 2)
        let lines = out.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(out.stderr)")
        #expect(out.stderr.contains(Fixtures.expectation(of: file)))
        #expect(!out.stderr.contains("hunter2"))
    }

    @Test("check-config prints the effective configuration with secrets redacted")
    func checkConfigValid() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("ok.yml")
        try """
            postgres: {targets: [{name: p, dsn: "host=db user=app password=TopSecret1"}]}
            redis: {targets: [{name: r, url: "redis://u:TopSecret2@cache:6379/1"}]}
            """.write(to: file, atomically: true, encoding: .utf8)
        let out = try Subprocess.run(bin, ["check-config", file.path])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("collect_interval: 15s"))
        #expect(!out.stdout.contains("TopSecret"))
        #expect(out.stdout.contains("password=<secret>"))

        let alerting = dir.appendingPathComponent("alerting.yml")
        try """
            alerting:
              route: {receiver: pager}
              receivers:
                - name: pager
                  pagerduty_configs: [{routing_key: "TopSecret3RoutingKey000000000000"}]
                  slack_configs: [{api_url: "https://hooks.slack.com/services/T0/B0/TopSecret4"}]
            """.write(to: alerting, atomically: true, encoding: .utf8)
        let shown = try Subprocess.run(bin, ["check-config", alerting.path])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("kind: slack, url: \"https://hooks.slack.com\""))
        #expect(!shown.stdout.contains("TopSecret"))
    }

    @Test("a real Prometheus scrapes Vigil with up == 1")
    func prometheusScrapes() throws {
        guard let bin = TestEnvironment.vigilBinary, let redis = TestEnvironment.redisURL,
              let prometheus = TestEnvironment.tool("prometheus") else { return }
        let vigil = try VigilProcess(binary: bin, config: Self.config(pg: nil, redis: redis))
        #expect(vigil.waitReady())
        let promPort = try SilentListener.freePort()
        let dir = vigil.directory
        try """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - job_name: vigil
                static_configs: [{targets: ["127.0.0.1:\(vigil.port)"]}]
            """.write(to: dir.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: prometheus)
        p.arguments = ["--config.file=\(dir.path)/prometheus.yml", "--storage.tsdb.path=\(dir.path)/tsdb",
                       "--web.listen-address=127.0.0.1:\(promPort)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { p.terminate(); p.waitUntilExit() }
        var last = ""
        let up = eventually(30, every: 0.5) {
            last = (try? HTTPTestClient.request(port: promPort, path: "/api/v1/query?query=up%7Bjob%3D%22vigil%22%7D").text) ?? ""
            return last.contains("\"value\":[") && last.contains(",\"1\"]")
        }
        #expect(up, "Prometheus said: \(last)")
        let series = (try? HTTPTestClient.request(port: promPort, path: "/api/v1/query?query=redis_up").text) ?? ""
        #expect(eventually(10, every: 0.5) {
            ((try? HTTPTestClient.request(port: promPort, path: "/api/v1/query?query=redis_up").text) ?? "").contains(",\"1\"]")
        }, "\(series)")
        _ = vigil.terminate()
    }
}
