import Foundation
import Testing
import VigilTestSupport

/// The real binary behind `--web.config.file`: HTTPS with an openssl-made CA and basic auth on
/// every endpoint, checked with curl; a bad file on reload keeps the running one.
@Suite(.serialized) struct WebSecurityEndToEndTests {
    /// bcrypt (cost 4) of "s3cret".
    static let hash = "$2b$04$4h4UqfIor2k1xPOXomdzVeHY7eHkovwEHGGZxj5Sw2kS46j0NxezK"

    static func curl(_ args: [String]) -> String {
        (try? Subprocess.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5"] + args, timeout: 10).stdout) ?? ""
    }

    @Test func everyEndpointNeedsCredentialsOverHTTPSAndABadFileOnReloadKeepsTheRunningOne() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let certs = try TestCertificates.make()
        let webFile = certs.directory + "/web.yml"
        let good = """
            tls_server_config:
              cert_file: \(certs.serverCert)
              key_file: \(certs.serverKey)
            basic_auth_users:
              prom: "\(Self.hash)"
            http_server_config:
              headers:
                X-Frame-Options: deny
            """
        try good.write(toFile: webFile, atomically: true, encoding: .utf8)
        let vigil = try VigilProcess(binary: bin, config: "rule_files: []\n", arguments: ["--web.config.file", webFile])
        let base = "https://127.0.0.1:\(vigil.port)"
        let tls = ["--cacert", certs.caFile]
        #expect(eventually(20) { Self.curl(tls + ["-u", "prom:s3cret", base + "/-/healthy"]) == "200" }, "\(vigil.log)")
        #expect(Self.curl(tls + ["-u", "prom:s3cret", base + "/metrics"]) == "200")
        for path in ["/metrics", "/-/healthy", "/api/v1/rules", "/api/v2/silences", "/"] {
            #expect(Self.curl(tls + [base + path]) == "401", "\(path)")
            #expect(Self.curl(tls + ["-u", "prom:nope", base + path]) == "401", "\(path)")
        }
        #expect(Self.curl(tls + ["-X", "POST", base + "/-/reload"]) == "401")
        let headers = (try Subprocess.run("/usr/bin/curl", tls + ["-s", "-D", "-", "-o", "/dev/null", "-u", "prom:s3cret", base + "/metrics"], timeout: 10)).stdout
        #expect(headers.lowercased().contains("x-frame-options: deny"))
        // Every answer carries nosniff, the 401 too; the page its strict policy, behind TLS and basic auth.
        #expect(headers.lowercased().contains("x-content-type-options: nosniff"), "\(headers)")
        let refused = (try Subprocess.run("/usr/bin/curl", tls + ["-s", "-D", "-", "-o", "/dev/null", base + "/api/v1/alerts"], timeout: 10)).stdout.lowercased()
        #expect(refused.contains(" 401") && refused.contains("x-content-type-options: nosniff"), "\(refused)")
        let page = (try Subprocess.run("/usr/bin/curl", tls + ["-s", "-D", "-", "-o", "/dev/null", "-u", "prom:s3cret", base + "/"], timeout: 10)).stdout.lowercased()
        #expect(page.contains("content-security-policy: default-src 'none'; script-src 'self'; style-src 'self';"), "\(page)")
        #expect(page.contains("x-frame-options: deny") && page.contains("referrer-policy: no-referrer"), "\(page)")

        // A plaintext password instead of a hash: refused with its position, never quoted.
        try good.replacingOccurrences(of: "\"\(Self.hash)\"", with: "hunter2").write(toFile: webFile, atomically: true, encoding: .utf8)
        #expect(Self.curl(tls + ["-u", "prom:s3cret", "-X", "POST", base + "/-/reload"]) == "500")
        #expect(vigil.log.contains("web.yml:5"))
        #expect(!vigil.log.contains("hunter2"))
        #expect(Self.curl(tls + ["-u", "prom:s3cret", base + "/metrics"]) == "200")
    }

    @Test func aBadWebConfigFileIsRefusedAtStart() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory().path
        let webFile = dir + "/web.yml"
        try "tls_server_config:\n  cert_file: /nonexistent.pem\n  key_file: /nonexistent-key.pem\n".write(toFile: webFile, atomically: true, encoding: .utf8)
        let vigil = try VigilProcess(binary: bin, config: "rule_files: []\n", arguments: ["--web.config.file", webFile])
        #expect(eventually(10) { !vigil.isRunning })
        #expect(vigil.log.contains("web.yml:2"), "\(vigil.log)")
    }
}
