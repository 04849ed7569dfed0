import Foundation
import Testing
import VigilCore
import VigilTestSupport

/// One Debian Alertmanager of a gossip cluster on loopback. Killed when released.
final class ClusterAlertmanager {
    let webPort: Int
    let clusterPort: Int
    private let process = Process()

    let logFile: URL
    /// The second peer waits this long before it looks whether the first one notified.
    static let peerTimeout = 3.0

    init(binary: String, dir: URL, name: String, webPort: Int, clusterPort: Int, peers: [Int]) throws {
        logFile = dir.appendingPathComponent("\(name).log")
        self.webPort = webPort
        self.clusterPort = clusterPort
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--config.file=\(dir.path)/am.yml", "--storage.path=\(dir.path)/\(name)",
            "--web.listen-address=127.0.0.1:\(webPort)",
            "--cluster.listen-address=127.0.0.1:\(clusterPort)", "--cluster.advertise-address=127.0.0.1:\(clusterPort)",
            // Small intervals so the cluster settles and gossips its notification log quickly;
            // the second peer waits peer-timeout before it looks whether the first one notified.
            "--cluster.gossip-interval=50ms", "--cluster.pushpull-interval=1s", "--cluster.peer-timeout=\(Int(Self.peerTimeout))s",
            "--cluster.probe-interval=200ms", "--cluster.probe-timeout=100ms", "--cluster.settle-timeout=5s",
            "--cluster.reconnect-interval=1s", "--log.level=debug",
        ] + peers.map { "--cluster.peer=127.0.0.1:\($0)" }
        let log = try FileHandle(forWritingTo: {
            let url = dir.appendingPathComponent("\(name).log")
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
            return url
        }())
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit { kill() }

    func kill() { stopChild(process) }

    /// Whether its dispatcher has flushed a group holding `alertname` into the notification
    /// pipeline (debug log `msg=flushing`), the start of the wait ▸ dedup ▸ send stages.
    func flushed(_ alertname: String) -> Bool {
        let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        return log.split(separator: "\n").contains { $0.contains("msg=flushing") && $0.contains(alertname) }
    }

    func json(_ path: String) -> Any? {
        guard let r = try? HTTPTestClient.request(port: webPort, path: path, timeout: 5), r.status == 200 else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(r.body))
    }

    /// Cluster status "ready" with `peers` members.
    func clusterReady(peers: Int) -> Bool {
        guard let status = json("/api/v2/status") as? [String: Any], let cluster = status["cluster"] as? [String: Any] else { return false }
        return cluster["status"] as? String == "ready" && (cluster["peers"] as? [Any])?.count == peers
    }

    /// Names of the active alerts it holds.
    func alertNames() -> Set<String> {
        let list = json("/api/v2/alerts?active=true") as? [[String: Any]] ?? []
        return Set(list.compactMap { ($0["labels"] as? [String: String])?["alertname"] })
    }

    /// A counter of its own /metrics, summed over the series whose line contains `filter`.
    func counter(_ name: String, containing filter: String = "") -> Double {
        guard let r = try? HTTPTestClient.request(port: webPort, path: "/metrics", timeout: 5), r.status == 200 else { return -1 }
        var sum = 0.0
        for line in r.text.split(separator: "\n") where line.hasPrefix(name) && line.contains(filter) {
            let parts = line.split(separator: " ")
            guard parts.count >= 2, parts[0] == name || parts[0].hasPrefix(name + "{") else { continue }
            sum += Double(parts[1]) ?? 0
        }
        return sum
    }
}

/// Two Vigils with the same rules push to both Alertmanagers of a two-node gossip cluster; the
/// cluster's notification log deduplicates, so the webhook behind it hears once per group.
@Suite("HA alerting through an Alertmanager cluster", .serialized)
struct HAAlertingEndToEndTests {
    static func rules(_ names: [String]) -> String {
        "groups:\n  - name: ha\n    rules:\n" + names.map {
            "      - alert: \($0)\n        expr: vector(1)\n        labels: {severity: page}\n        annotations: {summary: \"\($0) fires\"}\n"
        }.joined()
    }

    static func vigilConfig(dir: URL, name: String, ams: [Int]) -> String {
        """
        global: {collect_interval: 1s, evaluation_interval: 1s, external_labels: {stack: ha}, state_dir: "\(dir.path)/\(name)-state"}
        rule_files: ["\(dir.path)/\(name)-rules.yml"]
        alerting:
          route: {receiver: cluster, group_by: [alertname], group_wait: 0s, group_interval: 1s, repeat_interval: 1h}
          receivers:
            - name: cluster
              alertmanager_configs: [\(ams.map { "{url: \"http://127.0.0.1:\($0)\"}" }.joined(separator: ", "))]

        """
    }

    /// Webhook notifications the sink got for alert group `alertname`.
    static func notifications(_ sink: RecordingReceiver, _ alertname: String) -> Int {
        sink.requests.filter { r in
            guard let body = try? JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any] else { return false }
            return (body["groupLabels"] as? [String: String])?["alertname"] == alertname
        }.count
    }

    @Test("two Vigils and a two-node Alertmanager cluster give one webhook per alert group, and still one after a Vigil and an Alertmanager are killed")
    func oneNotificationPerGroup() throws {
        guard let bin = TestEnvironment.vigilBinary, let amBinary = TestEnvironment.tool("prometheus-alertmanager") else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sink = try RecordingReceiver()
        defer { sink.close() }
        try """
            route: {receiver: sink, group_by: [alertname], group_wait: 1s, group_interval: 10m, repeat_interval: 4h}
            receivers: [{name: sink, webhook_configs: [{url: "http://127.0.0.1:\(sink.port)/hook", send_resolved: false}]}]
            """.write(to: dir.appendingPathComponent("am.yml"), atomically: true, encoding: .utf8)
        let ports = try (0..<4).map { _ in try SilentListener.freePort() }
        let am1 = try ClusterAlertmanager(binary: amBinary, dir: dir, name: "am1", webPort: ports[0], clusterPort: ports[1], peers: [ports[3]])
        let am2 = try ClusterAlertmanager(binary: amBinary, dir: dir, name: "am2", webPort: ports[2], clusterPort: ports[3], peers: [ports[1]])
        #expect(eventually(60, every: 0.2) { am1.clusterReady(peers: 2) && am2.clusterReady(peers: 2) },
                "the cluster did not settle: \((try? String(contentsOf: dir.appendingPathComponent("am1.log"), encoding: .utf8)) ?? "")")

        for name in ["a", "b"] {
            try Self.rules(["HAFirst"]).write(to: dir.appendingPathComponent("\(name)-rules.yml"), atomically: true, encoding: .utf8)
        }
        let vigilA = try VigilProcess(binary: bin, config: Self.vigilConfig(dir: dir, name: "a", ams: [ports[0], ports[2]]))
        var vigilB: VigilProcess? = try VigilProcess(binary: bin, config: Self.vigilConfig(dir: dir, name: "b", ams: [ports[0], ports[2]]))
        #expect(vigilA.waitReady() && vigilB?.waitReady() == true)

        // Both Alertmanagers hold the alert (from both Vigils) and flushed its group into their
        // pipelines; the sink heard. The second peer decides (dedup against the gossiped
        // notification log) at most its position (1) × peer-timeout after its flush, so once
        // that has passed the count is final until group_interval (10m): a duplicate would have
        // arrived by then.
        #expect(eventually(30, every: 0.2) { am1.alertNames().contains("HAFirst") && am2.alertNames().contains("HAFirst") })
        let decided = eventually(60, every: 0.2) {
            Self.notifications(sink, "HAFirst") >= 1 && am1.flushed("HAFirst") && am2.flushed("HAFirst")
        }
        #expect(decided, "sink \(Self.notifications(sink, "HAFirst")), flushed \(am1.flushed("HAFirst")) / \(am2.flushed("HAFirst"))")
        Thread.sleep(forTimeInterval: 2 * ClusterAlertmanager.peerTimeout + 1)
        let sent = am1.counter("alertmanager_notifications_total", containing: "webhook") + am2.counter("alertmanager_notifications_total", containing: "webhook")
        #expect(Self.notifications(sink, "HAFirst") == 1, "the group was notified \(Self.notifications(sink, "HAFirst")) times")
        #expect(sent == 1, "the Alertmanagers sent \(sent) webhooks")
        // Each Vigil pushed its alerts (to both Alertmanagers: both hold the alert above).
        for vigil in [vigilA, vigilB!] {
            let delivered = vigil.metrics().split(separator: "\n").first { $0.hasPrefix("vigil_notifications_total{") && $0.contains("outcome=\"delivered\"") }
            #expect(delivered.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0 > 0)
        }

        // Kill one Vigil and one Alertmanager; a new group still reaches the sink once, through the survivor.
        vigilB = nil
        am1.kill()
        try Self.rules(["HAFirst", "HASecond"]).write(to: dir.appendingPathComponent("a-rules.yml"), atomically: true, encoding: .utf8)
        #expect(try vigilA.get("/-/reload", method: "POST").status == 200)
        #expect(eventually(30, every: 0.2) { am2.alertNames().contains("HASecond") })
        let before = am2.counter("alertmanager_notifications_total", containing: "webhook")
        #expect(eventually(60, every: 0.2) {
            Self.notifications(sink, "HASecond") >= 1 && am2.counter("alertmanager_notifications_total", containing: "webhook") >= before + 1
        })
        #expect(Self.notifications(sink, "HASecond") == 1)
        #expect(Self.notifications(sink, "HAFirst") == 1)
        // The surviving Vigil keeps retrying the dead Alertmanager on its own outbox entries;
        // what the live one accepted is not sent again in their place.
        let text = vigilA.metrics()
        #expect(text.contains("vigil_notification_retries_total{"), "no retries recorded against the dead Alertmanager")
    }
}
