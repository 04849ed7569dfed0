import Foundation
import Testing
import VigilTestSupport

/// A reload with a value that once crashed Vigil after answering "Reloaded." now fails before
/// the answer, and the running configuration keeps serving.
@Suite("reloads that fail keep the running configuration", .serialized)
struct ReloadHardeningTests {
    /// Each broken file (after the web section) and the key path its error must name.
    static let broken: [(body: String, field: String)] = [
        ("global: {collect_interval: 999999999999999y}\n", "global.collect_interval"),
        ("global: {collect_interval: 1s}\npostgres:\n  targets: [{name: p, dsn: \"host=127.0.0.1\", connect_timeout: 999999999999999y}]\n",
         "postgres.targets[0].connect_timeout"),
        ("global: {collect_interval: 1s}\nredis:\n  targets: [{name: r, url: \"redis://127.0.0.1:1\", scan_interval: 999999999999999y}]\n",
         "redis.targets[0].scan_interval"),
        ("global: {collect_interval: 1s}\nalerting:\n  route: {receiver: r, group_wait: 9223372036854775807s}\n  receivers: [{name: r}]\n",
         "alerting.route.group_wait"),
        ("global: {collect_interval: 1s}\npostgres:\n  targets: [{name: p, dsn: \"host=127.0.0.1 port=abc\"}]\n",
         "postgres.targets[0].dsn"),
    ]

    @Test("POST /-/reload answers 500 with the positioned error, SIGHUP logs it, and /metrics keeps the old targets and interval")
    func failedReloadsKeepServing() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rules = dir.appendingPathComponent("rules.yml")
        try "groups:\n  - name: keep\n    rules:\n      - record: vigil:up\n        expr: vigil_build_info\n"
            .write(to: rules, atomically: true, encoding: .utf8)
        let good = "global: {collect_interval: 1s, state_dir: \"\(dir.path)/state\"}\nrule_files: [\"\(rules.path)\"]\n"
        let vigil = try VigilProcess(binary: bin, config: good)
        #expect(vigil.waitReady())
        func groupInterval() -> String? {
            guard let text = try? vigil.get("/api/v1/rules").text else { return nil }
            return text.range(of: "\"interval\":[0-9.]+", options: .regularExpression).map { String(text[$0]) }
        }
        #expect(groupInterval() == "\"interval\":1", "\(String(describing: try? vigil.get("/api/v1/rules").text))")

        var failures = 0.0
        for (index, (body, field)) in Self.broken.enumerated() {
            // The web section is written here so that one case can break it too.
            try ("web:\n  listen_address: \"127.0.0.1:\(vigil.port)\"\n" + body).write(to: vigil.configFile, atomically: true, encoding: .utf8)
            let r = try vigil.get("/-/reload", method: "POST")
            #expect(r.status == 500, "case \(index): \(r.status) \(r.text)")
            #expect(r.text.contains("vigil.yml:") && r.text.contains(field), "case \(index): \(r.text)")
            failures += 1
            let before = vigil.log.components(separatedBy: "reload failed").count
            vigil.signal(SIGHUP)
            #expect(eventually(10) { vigil.log.components(separatedBy: "reload failed").count > before }, "case \(index)")
            // The log line carries the positioned error too.
            #expect(vigil.log.components(separatedBy: "vigil.yml:").count > 1 && vigil.log.contains(field), "case \(index)")
            failures += 1
            #expect(eventually(10) { vigil.value("vigil_config_reload_failures_total") == failures }, "case \(index)")
            #expect(vigil.isRunning, "case \(index): the process died\n\(vigil.log)")
        }
        // The web section itself.
        try "web:\n  listen_address: \"127.0.0.1:\(vigil.port)\"\n  connection_timeout: 999999999999999y\n"
            .write(to: vigil.configFile, atomically: true, encoding: .utf8)
        let r = try vigil.get("/-/reload", method: "POST")
        #expect(r.status == 500 && r.text.contains("web.connection_timeout"), "\(r.text)")

        // Still the old configuration: its rule group at the old 1s interval, the self target
        // collecting on (its last success keeps advancing), no target of the broken files.
        #expect(vigil.isRunning)
        #expect(groupInterval() == "\"interval\":1")
        let first = vigil.value("vigil_collector_last_success_timestamp_seconds{collector=\"process\",target=\"vigil\"}")
        #expect(first != nil, "\(vigil.metrics())")
        #expect(eventually(10) { (vigil.value("vigil_collector_last_success_timestamp_seconds{collector=\"process\",target=\"vigil\"}") ?? 0) > (first ?? .infinity) })
        let metrics = vigil.metrics()
        #expect(!metrics.contains("pg_up") && !metrics.contains("redis_up"), "\(metrics)")
        #expect(!vigil.log.contains("Reloaded"))
        #expect(vigil.terminate().status == 0)
    }

    @Test("a state directory that cannot be written fails the reload before it is answered")
    func unwritableStateDirectory() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let blocker = dir.appendingPathComponent("a-file")
        try "x".write(to: blocker, atomically: true, encoding: .utf8)
        let vigil = try VigilProcess(binary: bin, config: "global: {collect_interval: 1s, state_dir: \"\(dir.path)/state\"}\n")
        #expect(vigil.waitReady())
        // A directory below a regular file can never be created.
        try vigil.write(config: "global: {collect_interval: 1s, state_dir: \"\(blocker.path)/state\"}\n")
        let r = try vigil.get("/-/reload", method: "POST")
        #expect(r.status == 500 && r.text.contains("global.state_dir"), "\(r.text)")
        #expect(vigil.isRunning)
        #expect(eventually(10) { vigil.value("vigil_config_last_reload_successful") == 0 })
        _ = vigil.terminate()
    }

    @Test("vigil run refuses each value that once crashed it: exit status 2 and the positioned error, never a signal",
          arguments: ["huge-collect-interval", "huge-connect-timeout", "huge-scan-interval", "huge-group-wait",
                      "huge-connection-timeout", "huge-max-connections", "deep-nesting", "billion-laughs-key", "huge-cache-seconds"])
    func runRefuses(fixture: String) throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let file = Fixtures.directory.appendingPathComponent("bad-configs/\(fixture).yml").path
        let out = try Subprocess.run(bin, ["run", "--config", file, "--web.listen-address", "127.0.0.1:0"], timeout: 20)
        #expect(out.status == 2, "\(out.stdout)\(out.stderr)")
        // The log line quotes the error, escaping its quotes.
        let logged = (out.stdout + out.stderr).replacingOccurrences(of: "\\\"", with: "\"")
        #expect(logged.contains(Fixtures.expectation(of: file)), "\(logged)")
    }
}
