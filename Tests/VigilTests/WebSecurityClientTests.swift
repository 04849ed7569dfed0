import Foundation
import Testing
import VigilTestSupport

/// The client side of web security and the probe opt-out, against the real binary:
/// `vigil silence` over HTTPS with a CA made by openssl and basic auth from a password file;
/// `web.health_without_auth` leaving `/-/healthy` and `/-/ready` (only) open.
@Suite(.serialized) struct WebSecurityClientTests {
    /// bcrypt (cost 4) of "s3cret".
    static let hash = "$2b$04$4h4UqfIor2k1xPOXomdzVeHY7eHkovwEHGGZxj5Sw2kS46j0NxezK"

    static func curl(_ args: [String]) -> String {
        (try? Subprocess.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5"] + args, timeout: 10).stdout) ?? ""
    }

    @Test("vigil silence add/list/expire with --tls-ca-file, --username and --password-file; wrong password, wrong CA and no credentials fail without printing the password")
    func silenceClientOverTLSWithBasicAuth() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let certs = try TestCertificates.make()
        let webFile = certs.directory + "/web.yml"
        try """
            tls_server_config:
              cert_file: \(certs.serverCert)
              key_file: \(certs.serverKey)
            basic_auth_users:
              prom: "\(Self.hash)"
            """.write(toFile: webFile, atomically: true, encoding: .utf8)
        let vigil = try VigilProcess(binary: bin, config: """
              config_file: \(webFile)
            global:
              state_dir: \(certs.directory)/state
            rule_files: []
            alerting:
              route: {receiver: ops}
              receivers:
                - name: ops

            """)
        let url = "https://127.0.0.1:\(vigil.port)"
        #expect(eventually(20) { Self.curl(["--cacert", certs.caFile, "-u", "prom:s3cret", url + "/-/healthy"]) == "200" }, "\(vigil.log)")
        let good = certs.directory + "/password"
        try "s3cret\n".write(toFile: good, atomically: true, encoding: .utf8)
        let wrong = certs.directory + "/wrong-password"
        try "hunter2-wrong\n".write(toFile: wrong, atomically: true, encoding: .utf8)
        func silence(_ args: [String]) throws -> Subprocess.Output {
            try Subprocess.run(bin, ["silence"] + args, timeout: 30)
        }
        let auth = ["--url", url, "--tls-ca-file", certs.caFile, "--username", "prom", "--password-file", good]

        let added = try silence(["add"] + auth + ["--comment", "maintenance", "--duration", "30m", "alertname=DiskFull", "server=~db-.*"])
        #expect(added.status == 0, "\(added.stdout) \(added.stderr)")
        let id = added.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 36, "\(added.stdout)")
        let listed = try silence(["list"] + auth)
        #expect(listed.status == 0 && listed.stdout.contains(id) && listed.stdout.contains("active") && listed.stdout.contains("server=~\"db-.*\""), "\(listed.stdout) \(listed.stderr)")
        let expired = try silence(["expire"] + auth + [id])
        #expect(expired.status == 0 && expired.stdout.contains("expired \(id)"), "\(expired.stderr)")
        let after = try silence(["list", "--expired"] + auth)
        #expect(after.stdout.contains(id) && after.stdout.contains("expired"))

        // A wrong password: 401, and neither password is printed.
        let refused = try silence(["list", "--url", url, "--tls-ca-file", certs.caFile, "--username", "prom", "--password-file", wrong])
        #expect(refused.status != 0 && refused.stderr.contains("401"), "\(refused.stderr)")
        // No credentials at all.
        let anonymous = try silence(["list", "--url", url, "--tls-ca-file", certs.caFile])
        #expect(anonymous.status != 0 && anonymous.stderr.contains("401"), "\(anonymous.stderr)")
        // The wrong CA: the TLS handshake fails before any credential is sent.
        let untrusted = try silence(["list", "--url", url, "--tls-ca-file", certs.otherCAFile, "--username", "prom", "--password-file", good])
        #expect(untrusted.status != 0 && !untrusted.stderr.contains("401"), "\(untrusted.stderr)")
        // A missing password file and a lone --username are refused with a clear message.
        let missing = try silence(["list", "--url", url, "--tls-ca-file", certs.caFile, "--username", "prom", "--password-file", certs.directory + "/nope"])
        #expect(missing.status != 0 && missing.stderr.contains("cannot read --password-file"), "\(missing.stderr)")
        let lone = try silence(["list", "--url", url, "--username", "prom"])
        #expect(lone.status != 0 && lone.stderr.contains("--username and --password-file go together"), "\(lone.stderr)")
        for out in [added, listed, expired, after, refused, anonymous, untrusted, missing, lone] {
            #expect(!(out.stdout + out.stderr).contains("s3cret") && !(out.stdout + out.stderr).contains("hunter2"))
        }
        #expect(!vigil.log.contains("s3cret") && !vigil.log.contains("hunter2"))

        // A browser posting for another site with the credentials it holds (CSRF) is refused;
        // the same request from the page's own origin is not.
        let body = "{\"matchers\":[{\"name\":\"alertname\",\"value\":\"X\"}],\"startsAt\":\"2030-01-01T00:00:00Z\",\"endsAt\":\"2030-01-01T01:00:00Z\",\"createdBy\":\"a\",\"comment\":\"b\"}"
        let post = ["--cacert", certs.caFile, "-u", "prom:s3cret", "-X", "POST", "-H", "Content-Type: text/plain", "--data", body, url + "/api/v2/silences"]
        #expect(Self.curl(post + ["-H", "Origin: https://evil.example"]) == "403")
        #expect(Self.curl(post + ["-H", "Sec-Fetch-Site: cross-site"]) == "403")
        #expect(Self.curl(["--cacert", certs.caFile, "-u", "prom:s3cret", "-X", "POST", "-H", "Origin: https://evil.example", url + "/-/reload"]) == "403")
        #expect(Self.curl(post + ["-H", "Origin: \(url)", "-H", "Sec-Fetch-Site: same-origin"]) == "200")
    }

    @Test("web.health_without_auth: true leaves /-/healthy and /-/ready open and every other endpoint behind basic auth; false (the default) after a reload closes them again")
    func healthWithoutAuth() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory().path
        let webFile = dir + "/web.yml"
        try "basic_auth_users:\n  prom: \"\(Self.hash)\"\n".write(toFile: webFile, atomically: true, encoding: .utf8)
        func config(open: Bool) -> String {
            "  config_file: \(webFile)\n  health_without_auth: \(open)\nglobal:\n  collect_interval: 1s\n  state_dir: \(dir)/state\nrule_files: []\n"
        }
        let vigil = try VigilProcess(binary: bin, config: config(open: true))
        let base = "http://127.0.0.1:\(vigil.port)"
        #expect(eventually(20) { Self.curl([base + "/-/healthy"]) == "200" }, "\(vigil.log)")
        #expect(eventually(20) { Self.curl([base + "/-/ready"]) == "200" })
        for path in ["/metrics", "/", "/api/v1/rules", "/api/v1/alerts", "/api/v1/query?query=up", "/-/healthy/", "/-/healthyx"] {
            #expect(Self.curl([base + path]) == "401", "\(path)")
        }
        #expect(Self.curl(["-X", "POST", base + "/-/reload"]) == "401")
        #expect(Self.curl(["-u", "prom:s3cret", base + "/metrics"]) == "200")

        try vigil.write(config: config(open: false))
        #expect(Self.curl(["-u", "prom:s3cret", "-X", "POST", base + "/-/reload"]) == "200")
        #expect(Self.curl([base + "/-/healthy"]) == "401" && Self.curl([base + "/-/ready"]) == "401")
        #expect(Self.curl(["-u", "prom:s3cret", base + "/-/healthy"]) == "200")
    }
}
