import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import AppCollector

/// Debian's prometheus-blackbox-exporter (0.23) and Vigil probe the same targets with the same
/// module keys; families, types, label names and the values that must agree are compared.
/// What differs by design is listed in `allowances`, and every allowance must be seen at least
/// once, so a fixed difference cannot hide behind a stale entry.
@Suite("Probes beside blackbox_exporter", .serialized)
struct BlackboxComparisonTests {
    /// Families one side has and the other has not, by design.
    static let allowances: [(family: String, side: String, why: String)] = [
        ("probe_ssl_last_chain_info", "blackbox", "Vigil exports no per-certificate info series (fingerprint, subject, issuer, SANs)"),
        ("vigil_probe_failures_total", "vigil", "Vigil counts failed probes by reason; blackbox only logs them"),
    ]

    /// Families whose values must be equal on both sides (durations are not compared).
    static let mustAgree: Set<String> = [
        "probe_success", "probe_http_status_code", "probe_http_version", "probe_http_ssl", "probe_http_redirects",
        "probe_http_content_length", "probe_http_uncompressed_body_length", "probe_ssl_earliest_cert_expiry",
        "probe_ssl_last_chain_expiry_timestamp_seconds", "probe_tls_version_info", "probe_failed_due_to_regex",
        "probe_ip_protocol", "probe_ip_addr_hash",
    ]

    struct Case {
        var name: String
        var prober: String
        var target: String
        var module: String
        var success: Double
    }

    @Test("HTTP, HTTPS with a test CA, TCP, TCP+TLS, a closed port and a regex failure read as blackbox_exporter reads them")
    func sideBySide() throws {
        guard let blackbox = TestEnvironment.tool("prometheus-blackbox-exporter") else { return }
        let certs = try TestCertificates.make()
        let http = try HTTPTestServer()
        defer { http.stop() }
        let https = try HTTPTestServer(tls: certs)
        defer { https.stop() }
        let closed = try SilentListener.freePort()
        let cases = [
            Case(name: "http_ok", prober: "http", target: http.url("/ok"), module: "{valid_status_codes: [200], fail_if_not_ssl: false}", success: 1),
            Case(name: "http_redirect", prober: "http", target: http.url("/redirect"), module: "{follow_redirects: true}", success: 1),
            Case(name: "http_404", prober: "http", target: http.url("/missing"), module: "{}", success: 0),
            Case(name: "https_ca", prober: "http", target: https.url("/ok", scheme: "https"),
                 module: "{tls_config: {ca_file: \"\(certs.caFile)\"}, fail_if_not_ssl: true}", success: 1),
            Case(name: "https_wrong_ca", prober: "http", target: https.url("/ok", scheme: "https"),
                 module: "{tls_config: {ca_file: \"\(certs.otherCAFile)\"}}", success: 0),
            Case(name: "http_regex", prober: "http", target: http.url("/ok"),
                 module: "{fail_if_body_not_matches_regexp: [\"never-there\"], fail_if_header_matches: [{header: Content-Type, regexp: html, allow_missing: true}]}", success: 0),
            Case(name: "http_closed", prober: "http", target: "http://127.0.0.1:\(closed)/", module: "{}", success: 0),
            Case(name: "tcp_open", prober: "tcp", target: "127.0.0.1:\(http.port)", module: "{}", success: 1),
            Case(name: "tcp_query", prober: "tcp", target: "127.0.0.1:\(http.port)",
                 module: "{query_response: [{send: \"GET /ok HTTP/1.0\\n\"}, {expect: \"^HTTP/1.[01] (200)\"}]}", success: 1),
            Case(name: "tcp_query_regex", prober: "tcp", target: "127.0.0.1:\(http.port)",
                 module: "{query_response: [{send: \"GET /ok HTTP/1.0\\n\"}, {expect: \"^SSH-2.0\"}]}", success: 0),
            Case(name: "tcp_tls", prober: "tcp", target: "127.0.0.1:\(https.port)",
                 module: "{tls: true, tls_config: {ca_file: \"\(certs.caFile)\"}}", success: 1),
            Case(name: "tcp_closed", prober: "tcp", target: "127.0.0.1:\(closed)", module: "{}", success: 0),
        ]

        let dir = try TestEnvironment.temporaryDirectory().path
        var config = "modules:\n"
        for c in cases { config += "  \(c.name): {prober: \(c.prober), timeout: 5s, \(c.prober): \(c.module)}\n" }
        try config.write(toFile: dir + "/blackbox.yml", atomically: true, encoding: .utf8)
        let port = try SilentListener.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: blackbox)
        process.arguments = ["--config.file=\(dir)/blackbox.yml", "--web.listen-address=127.0.0.1:\(port)", "--log.level=error"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        defer { stopChild(process) }
        #expect(eventually(20) { (try? HTTPTestClient.request(port: port, path: "/-/healthy"))?.status == 200 }, "blackbox_exporter did not start")

        var vigilYAML = "probes:\n"
        for c in cases {
            vigilYAML += "  - {name: \(c.name), prober: \(c.prober), target: \"\(c.target)\", timeout: 5s, interval: 10s, \(c.prober): \(c.module)}\n"
        }
        let targets = try readTargets(ProbeKind(), vigilYAML)
        #expect(targets.count == cases.count)
        var seenAllowances: Set<String> = []

        for (c, target) in zip(cases, targets) {
            let query = "/probe?module=\(c.name)&target=\(c.target.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            let answer = try HTTPTestClient.request(port: port, path: query)
            #expect(answer.status == 200, "\(c.name): blackbox answered \(answer.status)")
            let theirs = try ExpositionParser.parse(String(decoding: answer.body, as: UTF8.self))
            let ours = try collectOnce(target)
            let theirNames = Set(theirs.map(\.name)), ourNames = Set(ours.map(\.name))

            for name in theirNames.subtracting(ourNames) {
                if Self.allowances.contains(where: { $0.family == name && $0.side == "blackbox" }) { seenAllowances.insert(name) } else {
                    Issue.record("\(c.name): blackbox has \(name), Vigil has not")
                }
            }
            for name in ourNames.subtracting(theirNames) {
                if Self.allowances.contains(where: { $0.family == name && $0.side == "vigil" }) { seenAllowances.insert(name) } else {
                    Issue.record("\(c.name): Vigil has \(name), blackbox has not")
                }
            }
            for theirFamily in theirs {
                guard let ourFamily = ours.family(theirFamily.name) else { continue }
                #expect(ourFamily.type.rawValue == theirFamily.type, "\(c.name): \(theirFamily.name) type")
                #expect(Set(ourFamily.samples.flatMap { $0.labels.names }) == theirFamily.labelNames, "\(c.name): \(theirFamily.name) label names")
                guard Self.mustAgree.contains(theirFamily.name) else { continue }
                let theirValues = Set(theirFamily.samples.map { "\($0.labels.sorted { $0.key < $1.key })=\($0.value)" })
                let ourValues = Set(ourFamily.samples.map { s in
                    "\(Dictionary(uniqueKeysWithValues: s.labels.pairs.map { ($0.name, $0.value) }).sorted { $0.key < $1.key })=\(s.value)"
                })
                #expect(ourValues == theirValues, "\(c.name): \(theirFamily.name): Vigil \(ourValues), blackbox \(theirValues)")
            }
            #expect(ours.value("probe_success") == c.success, "\(c.name): probe_success")
        }
        for a in Self.allowances where !seenAllowances.contains(a.family) {
            Issue.record("allowance for \(a.family) (\(a.why)) was never needed: remove it")
        }
    }
}
