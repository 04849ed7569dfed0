import Foundation
import Testing
import VigilTestSupport

/// Debian's Prometheus scraping Vigil the way production does: `scheme: https` with a CA made
/// by openssl (`tls_config.ca_file`) and `basic_auth`; with the right password `up` is 1, with
/// a wrong one (a second job, same target) `up` is 0 — and the wrong job's scrape error says 401.
@Suite(.serialized) struct PrometheusHTTPSScrapeTests {
    /// bcrypt (cost 4) of "s3cret".
    static let hash = "$2b$04$4h4UqfIor2k1xPOXomdzVeHY7eHkovwEHGGZxj5Sw2kS46j0NxezK"

    static func query(_ port: Int, _ promql: String) -> String {
        let q = promql.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? promql
        return (try? HTTPTestClient.request(port: port, path: "/api/v1/query?query=\(q)").text) ?? ""
    }

    @Test("scheme https + tls_config.ca_file + basic_auth: up{job=\"vigil\"} == 1; a wrong password: up == 0 with a 401 scrape error")
    func prometheusScrapesOverHTTPSWithBasicAuth() throws {
        guard let bin = TestEnvironment.vigilBinary, let redis = TestEnvironment.redisURL,
              let prometheus = TestEnvironment.tool("prometheus") else { return }
        let certs = try TestCertificates.make()
        let webFile = certs.directory + "/web.yml"
        try """
            tls_server_config:
              cert_file: \(certs.serverCert)
              key_file: \(certs.serverKey)
            basic_auth_users:
              prometheus: "\(Self.hash)"
            """.write(toFile: webFile, atomically: true, encoding: .utf8)
        let vigil = try VigilProcess(binary: bin, config: """
              config_file: \(webFile)
            global:
              collect_interval: 1s
              state_dir: \(certs.directory)/state
            redis:
              targets:
                - name: cache
                  url: "\(redis)"
            rule_files: []

            """)
        let dir = vigil.directory
        try "s3cret\n".write(to: dir.appendingPathComponent("password"), atomically: true, encoding: .utf8)
        let promPort = try SilentListener.freePort()
        try """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - job_name: vigil
                scheme: https
                tls_config: {ca_file: \(certs.caFile)}
                basic_auth: {username: prometheus, password_file: \(dir.path)/password}
                static_configs: [{targets: ["127.0.0.1:\(vigil.port)"]}]
              - job_name: vigil-wrong-password
                scheme: https
                tls_config: {ca_file: \(certs.caFile)}
                basic_auth: {username: prometheus, password: not-the-password}
                static_configs: [{targets: ["127.0.0.1:\(vigil.port)"]}]
              - job_name: vigil-wrong-ca
                scheme: https
                tls_config: {ca_file: \(certs.otherCAFile)}
                basic_auth: {username: prometheus, password_file: \(dir.path)/password}
                static_configs: [{targets: ["127.0.0.1:\(vigil.port)"]}]
            """.write(to: dir.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: prometheus)
        p.arguments = ["--config.file=\(dir.path)/prometheus.yml", "--storage.tsdb.path=\(dir.path)/tsdb",
                       "--web.listen-address=127.0.0.1:\(promPort)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { stopChild(p) }

        var last = ""
        #expect(eventually(40, every: 0.5) {
            last = Self.query(promPort, "up{job=\"vigil\"}")
            return last.contains(",\"1\"]")
        }, "Prometheus said: \(last)\n\(vigil.log)")
        // What Vigil served went through: a Redis series scraped over HTTPS.
        #expect(eventually(20, every: 0.5) { Self.query(promPort, "redis_up{job=\"vigil\"}").contains(",\"1\"]") })
        for job in ["vigil-wrong-password", "vigil-wrong-ca"] {
            #expect(eventually(20, every: 0.5) {
                last = Self.query(promPort, "up{job=\"\(job)\"}")
                return last.contains(",\"0\"]")
            }, "\(job): \(last)")
        }
        // The targets API says why: 401 for the wrong password, a certificate error for the wrong CA.
        var targets = ""
        #expect(eventually(10, every: 0.5) {
            targets = (try? HTTPTestClient.request(port: promPort, path: "/api/v1/targets").text) ?? ""
            return targets.contains("401") && targets.lowercased().contains("certificate")
        }, "\(targets)")
        #expect(!targets.contains("s3cret") && !vigil.log.contains("not-the-password"))
    }
}
