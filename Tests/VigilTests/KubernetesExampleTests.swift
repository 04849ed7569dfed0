import Foundation
import Testing
import VigilTestSupport

/// `examples/kubernetes/`: every manifest validates against the Kubernetes OpenAPI schemas
/// (kubernetes-validate from PyPI, strict: unknown fields are errors; the ServiceMonitor is a CRD
/// it has no schema for, so its shape is checked here); the sidecar's paths, Secret keys and
/// probes agree with the embedded vigil.yml; and that vigil.yml, with the Secret's files in place,
/// passes `vigil check-config` and runs: probes open, everything else behind basic auth.
@Suite(.serialized) struct KubernetesExampleTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/kubernetes")
    static let repository = directory.deletingLastPathComponent().deletingLastPathComponent()

    static var manifests: [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "yaml" }.sorted { $0.path < $1.path }
    }

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    /// The block scalar under `key: |` (indented `indent` spaces), unindented.
    static func block(_ yaml: String, key: String, indent: Int) -> String? {
        let lines = yaml.components(separatedBy: "\n")
        guard let start = lines.firstIndex(of: String(repeating: " ", count: indent - 2) + key + ": |") else { return nil }
        let pad = String(repeating: " ", count: indent)
        var out: [String] = []
        for line in lines[(start + 1)...] {
            if line.isEmpty { out.append(""); continue }
            guard line.hasPrefix(pad) else { break }
            out.append(String(line.dropFirst(indent)))
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// `  key: "value"` entries of the Secret's stringData.
    static func stringData(_ yaml: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in yaml.components(separatedBy: "\n") where line.hasPrefix("  ") && !line.hasPrefix("   ") && !line.hasPrefix("  #") && line.contains(": \"") {
            let parts = line.dropFirst(2).split(separator: ":", maxSplits: 1)
            out[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return out
    }

    @Test("every manifest passes kubernetes-validate --strict (Kubernetes 1.37 schemas, offline); a broken copy fails it")
    func manifestsValidate() throws {
        guard let pythonPath = TestEnvironment.value("VIGIL_TEST_KUBERNETES_VALIDATE_PYTHONPATH") else { return }
        let files = Self.manifests
        #expect(files.map(\.lastPathComponent) == ["configmap.yaml", "deployment.yaml", "secret.yaml", "service.yaml", "servicemonitor.yaml"])
        let env = ProcessInfo.processInfo.environment.merging(["PYTHONPATH": pythonPath]) { _, new in new }
        let run = try Subprocess.run("/usr/bin/python3", ["-m", "kubernetes_validate", "--strict", "-k", "1.37.0"] + files.map(\.path),
                                     environment: env, timeout: 120)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let report = run.stdout + run.stderr
        for resource in ["configmap/shop-vigil", "deployment/shop", "secret/shop-vigil", "service/shop-vigil", "secret/shop-vigil-scrape"] {
            #expect(report.contains("passed for resource \(resource)"), "\(report)")
        }
        // The checker does find mistakes: a misspelt field and a port given as text.
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let broken = dir.appendingPathComponent("deployment.yaml")
        try Self.text("deployment.yaml").replacingOccurrences(of: "readOnlyRootFilesystem: true", with: "readOnlyRootFilesytem: true")
            .write(to: broken, atomically: true, encoding: .utf8)
        let refused = try Subprocess.run("/usr/bin/python3", ["-m", "kubernetes_validate", "--strict", "-k", "1.37.0", broken.path],
                                         environment: env, timeout: 120)
        #expect(refused.status != 0 && (refused.stdout + refused.stderr).contains("readOnlyRootFilesytem"), "\(refused.stdout)\(refused.stderr)")
    }

    @Test("the sidecar's mounts, Secret keys, probes and the ServiceMonitor agree with vigil.yml")
    func piecesAgree() throws {
        let vigil = try #require(Self.block(try Self.text("configmap.yaml"), key: "vigil.yml", indent: 4))
        let secret = Self.stringData(try Self.text("secret.yaml"))
        let deployment = try Self.text("deployment.yaml")
        #expect(Set(secret.keys) == ["postgres-dsn", "redis-password", "slack-webhook-url"], "\(secret)")
        for key in secret.keys {
            #expect(vigil.contains("/etc/vigil/secrets/\(key)"), "\(key) is not read by vigil.yml")
            #expect(deployment.contains("{key: \(key), path: \(key)}"), "\(key) is not mounted")
        }
        #expect(deployment.contains("mountPath: /etc/vigil/secrets") && deployment.contains("mountPath: /etc/vigil/web"))
        #expect(vigil.contains("config_file: /etc/vigil/web/web.yml") && deployment.contains("{key: web.yml, path: web.yml}"))
        #expect(vigil.contains("health_without_auth: true"))
        #expect(deployment.contains("httpGet: {path: /-/healthy, port: metrics}") && deployment.contains("httpGet: {path: /-/ready, port: metrics}"))
        #expect(vigil.contains("state_dir: /var/lib/vigil") && deployment.contains("mountPath: /var/lib/vigil"))
        let monitor = try Self.text("servicemonitor.yaml")
        let service = try Self.text("service.yaml")
        #expect(monitor.contains("apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor"))
        #expect(monitor.contains("- port: metrics") && service.contains("- name: metrics"))
        #expect(monitor.contains("app.kubernetes.io/component: monitoring") && service.contains("app.kubernetes.io/component: monitoring"))
        #expect(!vigil.contains("PrometheusRule") && !monitor.contains("PrometheusRule"))
    }

    @Test("the embedded vigil.yml passes vigil check-config (secrets redacted) and, run with the Secret's files, leaves only the probes open")
    func embeddedConfigChecksAndRuns() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let secretsText = try Self.text("secret.yaml")
        let secret = Self.stringData(secretsText)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("secrets"), withIntermediateDirectories: true)
        for (key, value) in secret { try value.write(to: dir.appendingPathComponent("secrets/\(key)"), atomically: true, encoding: .utf8) }
        let web = try #require(Self.block(secretsText, key: "web.yml", indent: 4))
        try web.write(to: dir.appendingPathComponent("web.yml"), atomically: true, encoding: .utf8)
        var vigil = try #require(Self.block(try Self.text("configmap.yaml"), key: "vigil.yml", indent: 4))
        // The pod's paths, here: the image's rules are the repository's rules/.
        vigil = vigil.replacingOccurrences(of: "/usr/share/vigil/rules/", with: Self.repository.path + "/rules/")
            .replacingOccurrences(of: "/etc/vigil/secrets/", with: dir.path + "/secrets/")
            .replacingOccurrences(of: "/etc/vigil/web/web.yml", with: dir.path + "/web.yml")
            .replacingOccurrences(of: "/var/lib/vigil", with: dir.path + "/state")
        let file = dir.appendingPathComponent("vigil.yml")
        try vigil.write(to: file, atomically: true, encoding: .utf8)
        let checked = try Subprocess.run(bin, ["check-config", file.path], timeout: 30)
        #expect(checked.status == 0, "\(checked.stderr)")
        #expect(checked.stdout.contains("health_without_auth: true") && checked.stdout.contains("name: \"shop-db\""))
        #expect(!checked.stdout.contains("CHANGE-ME") && !checked.stdout.contains("CHANGE/ME"), "\(checked.stdout)")

        // Run it (the database and cache names do not resolve here: those targets are down, which
        // the probes do not care about) on a free port instead of :9633.
        let port = try SilentListener.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bin)
        process.arguments = ["run", "--config", file.path, "--web.listen-address", "127.0.0.1:\(port)"]
        let log = dir.appendingPathComponent("vigil.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        defer { stopChild(process) }
        func status(_ path: String, auth: String? = nil) -> Int {
            let headers = auth.map { ["Authorization": "Basic " + Data($0.utf8).base64EncodedString()] } ?? [:]
            return (try? HTTPTestClient.request(port: port, path: path, headers: headers).status) ?? 0
        }
        #expect(eventually(20) { status("/-/healthy") == 200 }, "\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        #expect(status("/metrics") == 401 && status("/") == 401)
        // The hash in the example is bcrypt of the example password the ServiceMonitor's Secret holds.
        #expect(try Self.text("servicemonitor.yaml").contains("password: CHANGE-ME"))
        #expect(status("/metrics", auth: "prometheus:CHANGE-ME") == 200)
        #expect(status("/metrics", auth: "prometheus:wrong") == 401)
    }
}
