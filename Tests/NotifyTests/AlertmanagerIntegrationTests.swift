#if canImport(Glibc)
import Glibc
#endif
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import VigilTestSupport
@testable import Notify

/// A real Alertmanager (Debian's `prometheus-alertmanager`) on a free loopback port with a
/// temporary config and storage: it receives alerts pushed by Vigil's `alertmanager`
/// integration and shows them at its own `/api/v2/alerts`; its own webhook payload is the
/// oracle for the field set of ours.
@Suite("Real Alertmanager", .serialized)
struct AlertmanagerIntegrationTests {


    static func get(_ url: String) async -> (Int, Data)? {
        guard let u = URL(string: url) else { return nil }
        let task = Task.detached { () -> (Int, Data)? in
            guard let (data, response) = try? await URLSession.shared.data(from: u), let http = response as? HTTPURLResponse else { return nil }
            return (http.statusCode, data)
        }
        return await task.value
    }

    @Test("alerts pushed by Vigil show up in Alertmanager's API; Alertmanager's own webhook has our field set")
    func pushAndCompare() async throws {
        guard let bin = TestEnvironment.tool("prometheus-alertmanager") else { return }
        let hook = try TestReceiver()
        defer { hook.stop() }
        let dir = TestState.directory()
        let port = try SilentListener.freePort()
        try """
        route: {receiver: hook, group_by: [alertname], group_wait: 100ms, group_interval: 1s}
        receivers: [{name: hook, webhook_configs: [{url: '\(hook.url)/am-webhook'}]}]
        """.write(toFile: dir + "/am.yml", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bin)
        process.arguments = ["--config.file=\(dir)/am.yml", "--storage.path=\(dir)/am-data",
                             "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=", "--log.level=warn"]
        let log = FileHandle(forWritingAtPath: "/dev/null")
        process.standardOutput = log
        process.standardError = log
        try process.run()
        defer { process.terminate(); process.waitUntilExit() }
        let base = "http://127.0.0.1:\(port)"
        var ready = false
        for _ in 0..<100 {
            if let (code, _) = await Self.get("\(base)/-/ready"), code == 200 { ready = true; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        try #require(ready, "alertmanager did not become ready")

        let config = try NotifyConfig.test("""
        route: {receiver: am, group_wait: 0s, group_interval: 1s}
        receivers: [{name: am, alertmanager_configs: [{url: '\(base)'}]}]
        """)
        let notifier = try Notifier(config: config, stateDirectory: dir + "/vigil", externalURL: "http://vigil.test", logger: LogCapture().logger)
        notifier.start()
        let alert = Alert(labels: ["alertname": "RedisDown", "severity": "critical", "server": "cache1"],
                          annotations: ["summary": "Redis is down"], startsAt: Date().addingTimeInterval(-5), generatorURL: "http://vigil.test/g")
        notifier.receive(alerts: [alert], at: Date())

        var shown: [[String: Any]] = []
        for _ in 0..<50 {
            if let (code, data) = await Self.get("\(base)/api/v2/alerts"), code == 200,
               let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]], !list.isEmpty {
                shown = list
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        try #require(shown.count == 1)
        #expect(shown[0]["labels"] as? [String: String] == alert.labels)
        #expect(shown[0]["annotations"] as? [String: String] == alert.annotations)
        #expect(shown[0]["generatorURL"] as? String == "http://vigil.test/g")
        #expect(shown[0]["fingerprint"] as? String == alert.fingerprint.description)
        #expect((shown[0]["status"] as? [String: Any])?["state"] as? String == "active")

        // Alertmanager forwards it to its webhook: compare its payload's fields with ours.
        let forwarded = await hook.wait(for: 1, timeout: 10)
        try #require(forwarded.count >= 1)
        let theirs = forwarded[0].object
        let content = NotificationContent(groupKey: "{}:{alertname=\"RedisDown\"}", receiver: "hook", groupLabels: ["alertname": "RedisDown"],
                                          alerts: [alert], externalURL: "http://vigil.test", at: Date())
        let ours = try #require(try JSONSerialization.jsonObject(
            with: PayloadBuilder.body(for: Integration(kind: .webhook, url: "http://x/"), content: content, validFor: 60)) as? [String: Any])
        #expect(Set(ours.keys) == Set(theirs.keys))
        let theirAlert = try #require((theirs["alerts"] as? [[String: Any]])?.first)
        let ourAlert = try #require((ours["alerts"] as? [[String: Any]])?.first)
        #expect(Set(ourAlert.keys) == Set(theirAlert.keys))
        #expect(theirs["version"] as? String == "4")
        #expect(theirs["groupKey"] as? String == ours["groupKey"] as? String)
        #expect(theirAlert["fingerprint"] as? String == ourAlert["fingerprint"] as? String)
        #expect(theirAlert["labels"] as? [String: String] == alert.labels)

        // Resolution reaches Alertmanager too.
        var resolved = alert
        resolved.endsAt = Date()
        notifier.receive(alerts: [resolved], at: Date())
        var gone = false
        for _ in 0..<50 {
            if let (code, data) = await Self.get("\(base)/api/v2/alerts?active=true"), code == 200,
               let list = try? JSONSerialization.jsonObject(with: data) as? [Any], list.isEmpty {
                gone = true
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(gone)
        await notifier.shutdown()
    }
}
