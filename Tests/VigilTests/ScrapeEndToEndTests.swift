import Foundation
import Testing
import VigilTestSupport

/// scrape_configs through the real binary: an app on the official Python client, scraped by
/// Vigil and by a real Prometheus at the same time, a hostile target beside it, and a rule
/// written for Prometheus (`up{job="api"} == 0`) firing when the app stops.
@Suite(.serialized) struct ScrapeEndToEndTests {
    /// The label sets (with `__name__`) of an instant query's vector, from either API.
    static func labelSets(_ json: String) -> Set<[String: String]> {
        guard let data = json.data(using: .utf8),
              let top = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let result = (top["data"] as? [String: Any])?["result"] as? [[String: Any]] else { return [] }
        return Set(result.compactMap { $0["metric"] as? [String: String] })
    }

    static let selector = "/api/v1/query?query=%7Bjob%3D%22api%22%7D"

    @Test("Vigil and Prometheus scrape the same app into the same series; a hostile target is down beside it; up == 0 fires when the app stops")
    func sideBySide() throws {
        guard let bin = TestEnvironment.vigilBinary, let prometheus = TestEnvironment.tool("prometheus"),
              let app = try ScrapeTestApp.start() else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
            groups:
              - name: targets
                rules:
                  - alert: ApiDown
                    expr: up{job="api"} == 0
                    labels: {severity: page}
            """.write(to: dir.appendingPathComponent("rules.yml"), atomically: true, encoding: .utf8)
        let vigil = try VigilProcess(binary: bin, config: """
            global: {collect_interval: 1s, evaluation_interval: 1s, state_dir: "\(dir.path)/state"}
            scrape_configs:
              - job_name: api
                scrape_interval: 1s
                static_configs: [{targets: ["\(app.address)"]}]
              - job_name: hostile
                scrape_interval: 1s
                metrics_path: /garbage
                static_configs: [{targets: ["\(app.address)"]}]
            rule_files: ["\(dir.path)/rules.yml"]
            """)
        #expect(vigil.waitReady())

        let promPort = try SilentListener.freePort()
        try """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - job_name: api
                static_configs: [{targets: ["\(app.address)"]}]
            """.write(to: dir.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: prometheus)
        p.arguments = ["--config.file=\(dir.path)/prometheus.yml", "--storage.tsdb.path=\(dir.path)/tsdb",
                       "--web.listen-address=127.0.0.1:\(promPort)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { stopChild(p) }

        // The same series (names and labels) on both sides, Prometheus' report series included:
        // inside Vigil's rules they are `up`, `scrape_duration_seconds`, … as in Prometheus.
        var ours = Set<[String: String]>(), theirs = Set<[String: String]>()
        let same = eventually(30, every: 0.5) {
            ours = Self.labelSets((try? vigil.get(Self.selector).text) ?? "")
                .filter { !($0["__name__"] ?? "").hasPrefix("vigil_") }
            theirs = Self.labelSets((try? HTTPTestClient.request(port: promPort, path: Self.selector).text) ?? "")
            return ours.count > 20 && ours == theirs
        }
        #expect(same, "only Vigil: \(ours.subtracting(theirs)); only Prometheus: \(theirs.subtracting(ours))")
        #expect(ours.contains(["__name__": "up", "job": "api", "instance": app.address]))
        #expect(ours.contains { $0["__name__"] == "api_request_duration_seconds_bucket" && $0["le"] == "0.5" })
        #expect(ours.contains { $0["__name__"] == "app_requests_created" })

        // /metrics: the meta series under vigil_scrape_*, the hostile target down with its reason.
        let metrics = vigil.metrics()
        #expect(metrics.contains("vigil_scrape_up{job=\"api\",instance=\"\(app.address)\"} 1"), "\(metrics)")
        #expect(metrics.contains("vigil_scrape_up{job=\"hostile\",instance=\"\(app.address)\"} 0"))
        #expect(metrics.contains("vigil_scrape_failures_total{job=\"hostile\",instance=\"\(app.address)\",reason=\"parse_error\"}"))
        #expect(metrics.contains("active_users{job=\"api\",instance=\"\(app.address)\"} 17"))
        #expect(!metrics.contains("\nup{"))
        #expect(vigil.log.contains("scrape failed (parse_error)"))

        // A Prometheus rule, unchanged, fires when the app goes away.
        #expect(!((try? vigil.get("/api/v1/alerts").text) ?? "").contains("ApiDown"))
        app.stop()
        var alerts = ""
        #expect(eventually(15, every: 0.5) {
            alerts = (try? vigil.get("/api/v1/alerts").text) ?? ""
            return alerts.contains("\"alertname\":\"ApiDown\"") && alerts.contains("\"state\":\"firing\"")
        }, "\(alerts)")
        #expect(vigil.metrics().contains("reason=\"connect\""))
        _ = vigil.terminate()
    }
}
