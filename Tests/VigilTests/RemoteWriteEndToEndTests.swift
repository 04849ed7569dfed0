import Foundation
import Testing
import VigilCore
import VigilTestSupport

/// remote_write against real receivers on loopback: Debian's Prometheus with its remote-write
/// receiver, and a scripted Python receiver (500, 429, 400, down, stopped and restarted).
@Suite("Remote write end to end", .serialized)
struct RemoteWriteEndToEndTests {
    static let secrets = ["hunter2-password", "bearer-token-hunter2"]

    /// The value of `series` (a full `name{labels}` key) on a /metrics text.
    static func metric(_ text: String, _ name: String, remote: String) -> Double? {
        guard let families = try? ExpositionParser.parse(text) else { return nil }
        for f in families { for s in f.samples where s.name == name && s.labels["remote_name"] == remote { return s.value } }
        return nil
    }

    static func key(_ name: String, _ labels: [String: String]) -> String {
        "\(name){\(labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))}"
    }

    /// The timestamp of a `RemoteWriteSink.State.keys` entry.
    static func timestamp(of key: String) -> Int64 {
        guard let at = key.lastIndex(of: "@") else { return 0 }
        return Int64(key[key.index(after: at)...].prefix { $0 != "=" }) ?? 0
    }

    static func same(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a == b { return true }
        return abs(a - b) <= 1e-12 * max(abs(a), abs(b))
    }

    @Test("Debian's Prometheus (remote-write receiver) holds every series of /metrics with equal values, Vigil's labels plus the external labels, stamped at collection time")
    func intoPrometheus() throws {
        guard let bin = TestEnvironment.vigilBinary, let dsn = TestEnvironment.pgDSN(), let redis = TestEnvironment.redisURL,
              let prometheus = TestEnvironment.tool("prometheus") else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let promPort = try SilentListener.freePort()
        try "global: {scrape_interval: 1m}\n".write(to: dir.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: prometheus)
        p.arguments = ["--config.file=\(dir.path)/prometheus.yml", "--storage.tsdb.path=\(dir.path)/tsdb",
                       "--web.listen-address=127.0.0.1:\(promPort)", "--web.enable-remote-write-receiver"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { stopChild(p) }
        #expect(eventually(30) { (try? HTTPTestClient.request(port: promPort, path: "/-/ready").status) == 200 })

        let started = Date()
        // A long interval: between two collections /metrics stands still, so it can be compared
        // with what Prometheus holds.
        let vigil = try VigilProcess(binary: bin, config: """
            global: {collect_interval: 30s, external_labels: {stack: e2e, replica: a}, state_dir: "\(dir.path)/state"}
            postgres: {targets: [{name: main, dsn: "\(dsn)"}]}
            redis: {targets: [{name: cache, url: "\(redis)"}]}
            remote_write:
              - url: http://127.0.0.1:\(promPort)/api/v1/write
                name: central
                authorization: {credentials: \(Self.secrets[1])}
                queue_config: {batch_send_deadline: 100ms}
            """)
        #expect(vigil.waitReady())

        var compared = 0
        var problems: [String] = []
        let matched = eventually(25, every: 0.5) {
            let before = vigil.metrics()
            guard let r = try? HTTPTestClient.request(port: promPort, path: "/api/v1/query?query=%7Breplica%3D%22a%22%7D%5B5m%5D", timeout: 20),
                  r.status == 200,
                  let json = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
                  let result = (json["data"] as? [String: Any])?["result"] as? [[String: Any]] else { return false }
            guard before == vigil.metrics(), let families = try? ExpositionParser.parse(before) else { return false }
            var stored: [String: (value: Double, timestamps: [Double])] = [:]
            for series in result {
                guard var labels = series["metric"] as? [String: String], let name = labels.removeValue(forKey: "__name__"),
                      let values = series["values"] as? [[Any]] else { continue }
                let points = values.compactMap { v -> (Double, Double)? in
                    guard v.count == 2, let t = (v[0] as? NSNumber)?.doubleValue, let s = v[1] as? String else { return nil }
                    return (t, s == "NaN" ? .nan : Double(s) ?? (s == "+Inf" ? .infinity : -.infinity))
                }
                guard let last = points.last else { continue }
                stored[Self.key(name, labels)] = (last.1, points.map(\.0))
            }
            problems = []
            compared = 0
            for f in families {
                for s in f.samples {
                    var labels = s.labels.filter { !$0.value.isEmpty }
                    labels["stack"] = labels["stack"] ?? "e2e"
                    labels["replica"] = labels["replica"] ?? "a"
                    let k = Self.key(s.name, labels)
                    compared += 1
                    guard let got = stored[k] else { problems.append("missing \(k)"); continue }
                    if !Self.same(got.value, s.value) { problems.append("\(k): /metrics \(s.value), Prometheus \(got.value)") }
                }
            }
            return problems.isEmpty
        }
        #expect(matched, "first differences: \(problems.prefix(10))")
        #expect(compared > 200, "only \(compared) samples on /metrics")

        // Timestamps: pg_up's samples carry the collection time, which vigil_collector_last_success_timestamp_seconds reports.
        let r = try HTTPTestClient.request(port: promPort, path: "/api/v1/query?query=pg_up%7Breplica%3D%22a%22%7D%5B5m%5D", timeout: 20)
        let json = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any]
        let series = ((json?["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
        let stamps = series.flatMap { ($0["values"] as? [[Any]] ?? []).compactMap { ($0.first as? NSNumber)?.doubleValue } }
        #expect(!stamps.isEmpty)
        let text = vigil.metrics()
        let families = try ExpositionParser.parse(text)
        let lastSuccess = families.first { $0.name == "vigil_collector_last_success_timestamp_seconds" }?.samples
            .first { $0.labels["collector"] == "postgres" }?.value
        for t in stamps {
            #expect(t >= started.timeIntervalSince1970 - 1 && t <= Date().timeIntervalSince1970 + 1)
        }
        if let lastSuccess, let newest = stamps.max() {
            #expect(abs(newest - lastSuccess) <= 30, "pg_up stamped \(newest), collection at \(lastSuccess)")
        } else {
            Issue.record("no last-success timestamp for postgres")
        }
        #expect(Self.metric(text, "prometheus_remote_storage_samples_failed_total", remote: "central") == 0)
        for secret in Self.secrets {
            #expect(!vigil.log.contains(secret))
            #expect(!text.contains(secret))
        }
    }

    @Test("500 and a retried 429 lose nothing; 429 without retry_on_http_429 and 400 drop and count; a receiver stopped and restarted loses nothing within the capacity; a dead one overflows a bounded queue, counted")
    func retriesAndDrops() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sink = try RemoteWriteSink()
        var paused: RemoteWriteSink? = try RemoteWriteSink()
        let pausedPort = paused!.port
        let deadPort = try SilentListener.freePort()
        try sink.script("/e500", [500, 500, 500])
        try sink.script("/r429", [429, 429, 429])
        try sink.script("/d429", [429, 429, 429])
        try sink.script("/e400", Array(repeating: 400, count: 10_000))
        let fast = "batch_send_deadline: 100ms, min_backoff: 50ms, max_backoff: 200ms"
        let config = """
            global: {collect_interval: 1s, external_labels: {replica: b}, state_dir: "\(dir.path)/state"}
            remote_write:
              - {url: "\(sink.url("/ok"))", name: ok, authorization: {credentials: \(Self.secrets[1])}, queue_config: {\(fast)}}
              - {url: "\(sink.url("/e500"))", name: e500, basic_auth: {username: vigil, password: \(Self.secrets[0])}, queue_config: {\(fast)}}
              - {url: "\(sink.url("/r429"))", name: r429, queue_config: {\(fast), retry_on_http_429: true}}
              - {url: "\(sink.url("/d429"))", name: d429, queue_config: {\(fast)}}
              - {url: "\(sink.url("/e400"))", name: e400, queue_config: {\(fast)}}
              - {url: "http://127.0.0.1:\(pausedPort)/paused", name: paused, queue_config: {\(fast)}}
              - {url: "http://127.0.0.1:\(deadPort)/dead", name: dead, queue_config: {capacity: 300, max_samples_per_send: 100, \(fast)}}

            """
        let vigil = try VigilProcess(binary: bin, config: config)
        #expect(vigil.waitReady())
        func value(_ name: String, _ remote: String) -> Double { Self.metric(vigil.metrics(), name, remote: remote) ?? -1 }

        // The scripted failures have been answered and sending went on.
        #expect(eventually(30, every: 0.2) {
            guard let e = try? sink.state("/e500", name: "none"), let r = try? sink.state("/r429", name: "none"),
                  let d = try? sink.state("/d429", name: "none") else { return false }
            return e.requests(500) == 3 && e.requests(200) >= 3 && r.requests(429) == 3 && r.requests(200) >= 3
                && d.requests(429) == 3 && d.requests(200) >= 3
        })
        // Stop the paused receiver until Vigil has retried against it, then start it again on the same port.
        paused?.stop()
        paused = nil
        #expect(eventually(30, every: 0.2) { value("prometheus_remote_storage_samples_retried_total", "paused") > 0 })
        let restarted = try RemoteWriteSink(port: pausedPort)
        #expect(eventually(30, every: 0.2) { value("vigil_remote_storage_samples_overflowed_total", "dead") > 0 })
        // Enough stream after the restart to compare (the margins below take 1.5 s off each end).
        #expect(eventually(30, every: 0.5) {
            guard let s = try? restarted.state("/paused", name: "vigil_collector_success"), let low = s.samples.map(\.timestamp).min() else { return false }
            return s.maxTimestamp - low >= 6000
        })

        let ok = try sink.state("/ok")
        // No loss: every sample the control remote got up to a cutoff every stream has passed.
        for (path, from) in [("/e500", sink), ("/r429", sink), ("/paused", restarted)] {
            let got = try from.state(path)
            let cutoff = min(ok.maxTimestamp, got.maxTimestamp) - 1500
            // The restarted receiver lost what the stopped one had stored: compare from (a margin
            // after) the first sample it got, the head of the batch Vigil kept retrying.
            let from = path == "/paused" ? (got.samples.map(\.timestamp).min() ?? 0) + 1500 : 0
            let want = ok.keys(upTo: cutoff).filter { Self.timestamp(of: $0) >= from }
            #expect(want.count > 50, "\(path): only \(want.count) samples to compare")
            #expect(got.keys(upTo: cutoff).filter { Self.timestamp(of: $0) >= from } == want, "\(path) differs from the control stream")
            #expect(got.errors.isEmpty, "\(path) decode errors: \(got.errors)")
        }
        let text = vigil.metrics()
        for remote in ["ok", "e500", "r429", "paused"] {
            #expect(Self.metric(text, "prometheus_remote_storage_samples_failed_total", remote: remote) == 0, "\(remote)")
        }
        for remote in ["e500", "r429"] {
            #expect((Self.metric(text, "prometheus_remote_storage_samples_retried_total", remote: remote) ?? 0) > 0, "\(remote)")
        }
        // 429 without retry_on_http_429, and 400: refused for good, counted, not retried.
        for remote in ["d429", "e400"] {
            #expect((Self.metric(text, "prometheus_remote_storage_samples_failed_total", remote: remote) ?? 0) > 0, "\(remote)")
            #expect(Self.metric(text, "prometheus_remote_storage_samples_retried_total", remote: remote) == 0, "\(remote)")
        }
        #expect(try sink.state("/e400", name: "none").total == 0)
        // The dead receiver: the queue stays within its capacity, the overflow is counted, and
        // every sample handed to the remote is accounted for at one instant.
        let pending = Self.metric(text, "prometheus_remote_storage_samples_pending", remote: "dead") ?? -1
        #expect(pending >= 0 && pending <= 300)
        let received = Self.metric(text, "vigil_remote_storage_samples_in_total", remote: "dead") ?? -1
        let taken = Self.metric(text, "prometheus_remote_storage_samples_total", remote: "dead") ?? -1
        let dropped = Self.metric(text, "prometheus_remote_storage_samples_dropped_total", remote: "dead") ?? -1
        #expect(received == taken + dropped + pending, "in \(received) != sent \(taken) + dropped \(dropped) + pending \(pending)")
        #expect(dropped > 0 && received == Self.metric(text, "vigil_remote_storage_samples_in_total", remote: "ok"))
        // The protocol's headers, and the credentials reach the receiver, never the log or /metrics.
        #expect(ok.headers["content-encoding"] == "snappy")
        #expect(ok.headers["content-type"] == "application/x-protobuf")
        #expect(ok.headers["x-prometheus-remote-write-version"] == "0.1.0")
        #expect(ok.headers["authorization"] == "Bearer \(Self.secrets[1])")
        #expect(ok.samples.allSatisfy { $0.labels["replica"] == "b" })
        for secret in Self.secrets {
            #expect(!vigil.log.contains(secret))
            #expect(!text.contains(secret))
        }

        // A failed reload keeps the queues; a changed remote is replaced and keeps sending.
        try vigil.write(config: config.replacingOccurrences(of: "capacity: 300", with: "capacity: 0"))
        #expect(try vigil.get("/-/reload", method: "POST").status == 500)
        let before = try sink.state("/ok", name: "none").total
        #expect(eventually(10, every: 0.2) { ((try? sink.state("/ok", name: "none").total) ?? 0) > before })
        try vigil.write(config: config.replacingOccurrences(of: "name: ok, ", with: "name: ok, headers: {X-Scope-OrgID: tenant-1}, "))
        #expect(try vigil.get("/-/reload", method: "POST").status == 200)
        #expect(eventually(15, every: 0.2) { (try? sink.state("/ok", name: "none").headers["x-scope-orgid"]) == "tenant-1" })
        #expect(vigil.log.contains("remote_write queue stopped"))
    }
}
