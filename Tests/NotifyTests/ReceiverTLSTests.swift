import Foundation
import Testing
import VigilTestSupport
@testable import Notify

/// `tls_config` and `proxy_url` on receivers, against a real HTTPS receiver on 127.0.0.1 whose
/// certificates `openssl` makes for the test.
@Suite("Receivers over TLS", .serialized)
struct ReceiverTLSTests {
    static func config(url: String, tls: String) throws -> NotifyConfig {
        try NotifyConfig.test("""
        route: {receiver: hook, group_by: [alertname], group_wait: 0s}
        receivers:
          - name: hook
            webhook_configs:
              - url: \(url)
                http_config:
                  tls_config: \(tls)
        delivery: {initial_backoff: 30s}
        """)
    }

    static func outcome(_ n: Notifier, _ name: String) -> Double {
        let samples = n.metricFamilies(at: Date()).first { $0.name == "vigil_notifications_total" }?.samples ?? []
        return samples.filter { $0.labels["outcome"] == name }.map(\.value).reduce(0, +)
    }

    static func retries(_ n: Notifier) -> Double {
        n.metricFamilies(at: Date()).first { $0.name == "vigil_notification_retries_total" }?.samples.map(\.value).reduce(0, +) ?? 0
    }

    static func waitUntil(_ seconds: Double, _ condition: () -> Bool) async -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    @Test("a receiver that requires a client certificate gets the notification with the configured CA, certificate and key")
    func mutualTLS() async throws {
        let certs = try TestCertificates.make()
        let server = try HTTPTestServer(tls: certs, requireClientCertificate: true)
        defer { server.stop() }
        let config = try Self.config(url: server.url("/echo", scheme: "https"),
                                     tls: "{ca_file: \(certs.caFile), cert_file: \(certs.clientCert), key_file: \(certs.clientKey)}")
        let notifier = try Notifier(config: config, stateDirectory: TestState.directory())
        notifier.start()
        defer { Task { await notifier.shutdown() } }
        notifier.receive(alerts: [NotifierDeliveryTests.alert("TLSCheck")], at: Date())
        #expect(await Self.waitUntil(20) { Self.outcome(notifier, "delivered") == 1 })
    }

    @Test("a receiver whose certificate the configured CA did not sign is not trusted: the attempt fails with a TLS error and is retried")
    func wrongCA() async throws {
        let certs = try TestCertificates.make()
        let server = try HTTPTestServer(tls: certs)
        defer { server.stop() }
        let logs = LogCapture()
        let config = try Self.config(url: server.url("/echo?token=SECRET", scheme: "https"), tls: "{ca_file: \(certs.otherCAFile)}")
        let notifier = try Notifier(config: config, stateDirectory: TestState.directory(), logger: logs.logger)
        notifier.start()
        defer { Task { await notifier.shutdown() } }
        notifier.receive(alerts: [NotifierDeliveryTests.alert("TLSCheck")], at: Date())
        #expect(await Self.waitUntil(20) { Self.retries(notifier) >= 1 })
        #expect(Self.outcome(notifier, "delivered") == 0)
        let text = logs.all.joined(separator: "\n")
        #expect(text.contains("TLS failure"), "\(text)")
        #expect(!text.contains("SECRET"))
    }

    @Test("tls_config and proxy_url are checked at load: missing files, a certificate without its key, an unknown version, a bad proxy")
    func configErrors() throws {
        let certs = try TestCertificates.make()
        let cases: [(String, String)] = [
            ("{ca_file: /nonexistent/ca.pem}", "no such file: /nonexistent/ca.pem"),
            ("{cert_file: \(certs.clientCert)}", "cert_file and key_file go together"),
            ("{min_version: TLS14}", "unknown TLS version \"TLS14\""),
            ("{ca_file: \(certs.caFile), verify: true}", "verify"),
        ]
        for (tls, expected) in cases {
            do {
                _ = try Self.config(url: "https://127.0.0.1:1/hook", tls: tls)
                Issue.record("accepted \(tls)")
            } catch {
                #expect("\(error)".contains(expected), "\(error)")
                #expect("\(error)".contains("test.yml:"), "no position in \(error)")
            }
        }
        do {
            _ = try NotifyConfig.test("""
            route: {receiver: hook}
            receivers:
              - name: hook
                webhook_configs:
                  - url: https://127.0.0.1:1/hook
                    http_config: {proxy_url: "ftp://user:pw@proxy"}
            """)
            Issue.record("accepted an ftp proxy")
        } catch {
            #expect("\(error)".contains("proxy_url"))
            #expect(!"\(error)".contains("pw"))
        }
    }
}
