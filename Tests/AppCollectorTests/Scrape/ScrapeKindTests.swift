import AppCollector
import Foundation
import Testing
import VigilCore

@Suite struct ScrapeKindTests {
    func read(_ yaml: String, base: String = ".") throws(PositionedError) -> [ConfiguredTarget] {
        let context = StrictYAMLContext(file: "vigil.yml", baseDirectory: base)
        guard let root = try context.root(yaml) else { return [] }
        let top = try StrictYAMLReader(root, path: "", context: context)
        return try ScrapeKind().read(top, defaults: TargetDefaults(collectInterval: 15))
    }

    func error(_ yaml: String) -> PositionedError? {
        do {
            _ = try read(yaml)
            return nil
        } catch {
            return error
        }
    }

    @Test("one target per job and static target, with job, instance and static labels")
    func targets() throws {
        let t = try read("""
            scrape_configs:
              - job_name: api
                scrape_interval: 5s
                static_configs:
                  - targets: ["127.0.0.1:8000", "127.0.0.1:8001"]
                    labels: {env: prod}
                  - targets: ["127.0.0.1:8002"]
                    labels: {instance: primary}
              - job_name: worker
                metrics_path: /stats
                params: {format: [prometheus]}
                static_configs: [{targets: ["localhost:9000"]}]
            """)
        #expect(t.map(\.name) == ["api/127.0.0.1:8000", "api/127.0.0.1:8001", "api/primary", "worker/localhost:9000"])
        #expect(t[0].labels == [Label("job", "api"), Label("instance", "127.0.0.1:8000"), Label("env", "prod")])
        #expect(t[0].interval == 5)
        #expect(t[0].timeout == 5)
        #expect(t[3].interval == 15)
        #expect(t[3].timeout == 10)
        let options = try #require(t[3].options as? ScrapeOptions)
        #expect(options.url == "http://localhost:9000/stats?format=prometheus")
    }

    @Test("check-config shows the job without its password or token")
    func rendered() throws {
        let dir = try TestDirectory()
        try "s3cr3t-from-file\n".write(toFile: dir.path + "/pw", atomically: true, encoding: .utf8)
        let t = try read("""
            scrape_configs:
              - job_name: a
                basic_auth: {username: u, password_file: pw}
                static_configs: [{targets: ["h:1"]}]
              - job_name: b
                authorization: {credentials: TopSecretToken}
                proxy_url: "http://user:proxypass@proxy:3128"
                metric_relabel_configs:
                  - {source_labels: [__name__], regex: "go_.*", action: drop}
                static_configs: [{targets: ["h:2"]}]
            """, base: dir.path)
        let text = t.flatMap(\.rendered).joined(separator: "\n")
        #expect(text.contains("basic_auth: {username: \"u\", password: <secret>}"))
        #expect(text.contains("authorization: {type: \"Bearer\", credentials: <secret>}"))
        #expect(text.contains("- {action: drop, source_labels: [__name__], regex: \"go_.*\"}"))
        #expect(!text.contains("s3cr3t"))
        #expect(!text.contains("TopSecretToken"))
        #expect(!text.contains("proxypass"))
        let options = try #require(t[0].options as? ScrapeOptions)
        #expect(options.basicAuth?.password == "s3cr3t-from-file")
    }

    @Test("mistakes are positioned errors", arguments: [
        ("- job_name: a\n  scrape_intervall: 5s", "scrape_configs[0].scrape_intervall", "unknown field"),
        ("- job_name: a\n  scrape_interval: 5s\n  scrape_timeout: 6s", "scrape_configs[0].scrape_timeout", "must not be greater"),
        ("- job_name: a\n  scrape_interval: 3d", "scrape_configs[0].scrape_interval", "must be between"),
        ("- job_name: a\n- job_name: a", "scrape_configs[1].job_name", "another scrape config"),
        ("- job_name: a\n  scheme: ftp", "scrape_configs[0].scheme", "http or https"),
        ("- job_name: a\n  sample_limit: -1", "scrape_configs[0].sample_limit", "between"),
        ("- job_name: a\n  body_size_limit: 2GiB", "scrape_configs[0].body_size_limit", "between 1KiB and 1GiB"),
        ("- job_name: a\n  body_size_limit: lots", "scrape_configs[0].body_size_limit", "invalid size"),
        ("- job_name: a\n  static_configs: [{targets: [\"http://h:1/metrics\"]}]", "scrape_configs[0].static_configs[0].targets[0]", "host:port"),
        ("- job_name: a\n  metric_relabel_configs: [{action: hashmod, target_label: x, modulus: 2}]", "scrape_configs[0].metric_relabel_configs[0].action", "unknown relabel action"),
        ("- job_name: a\n  metric_relabel_configs: [{action: replace, source_labels: [a]}]", "scrape_configs[0].metric_relabel_configs[0].target_label", "needs target_label"),
        ("- job_name: a\n  metric_relabel_configs: [{regex: \"(\", target_label: x}]", "scrape_configs[0].metric_relabel_configs[0].regex", "invalid regex"),
        ("- job_name: a\n  metric_relabel_configs: [{action: labeldrop, regex: x, target_label: y}]", "scrape_configs[0].metric_relabel_configs[0].target_label", "takes only regex"),
        ("- job_name: a\n  authorization: {type: Basic, credentials: SecretValue9}", "scrape_configs[0].authorization.type", "basic_auth"),
        ("- job_name: a\n  basic_auth: {username: u, password: SecretValue9}\n  authorization: {credentials: SecretValue9}", "scrape_configs[0].authorization", "not both"),
        ("- job_name: a\n  static_configs: [{targets: [\"h:1\"], labels: {__param_x: y}}]", "scrape_configs[0].static_configs[0].labels.__param_x", "not supported"),
    ])
    func mistakes(_ body: String, _ field: String, _ message: String) {
        let e = error("scrape_configs:\n" + body.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n")
        #expect(e?.field == field)
        #expect(e?.message.contains(message) == true, "\(e.map(String.init(describing:)) ?? "no error")")
        #expect(e?.line ?? 0 > 0)
        #expect(!(e?.description.contains("SecretValue9") ?? false))
    }
}

/// A temporary directory removed when released.
final class TestDirectory {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-scrape-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
