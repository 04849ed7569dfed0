import Foundation
import Testing
import VigilTestSupport

/// Alerts of rules a reload leaves unchanged keep their state (a pending alert its activeAt, a
/// firing one its notification), as Prometheus copies rule state across a reload.
@Suite("alert state across reloads end to end", .serialized)
struct ReloadAlertStateEndToEndTests {
    static func rules(otherExpr: String) -> String {
        """
        groups:
          - name: waits
            rules:
              - alert: VigilLongPending
                expr: vigil_build_info == 1
                for: 1h
          - name: fires
            rules:
              - alert: VigilFiring
                expr: vigil_build_info == 1
                labels: {severity: page}
          - name: other
            rules:
              - record: vigil:other
                expr: \(otherExpr)

        """
    }

    static func config(dir: URL, rules: URL, receiverPort: Int, extraReceiver: Bool) -> String {
        """
        global: {collect_interval: 1s, state_dir: "\(dir.path)/state"}
        rule_files: ["\(rules.path)"]
        alerting:
          route: {receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 1h, repeat_interval: 1h}
          receivers:
            - name: hook
              webhook_configs: [{url: "http://127.0.0.1:\(receiverPort)/alerts"}]
        \(extraReceiver ? "    - name: unused\n      webhook_configs: [{url: \"http://127.0.0.1:9/never\"}]\n" : "")
        """
    }

    /// (state, activeAt) of each alert by name, from /api/v1/alerts.
    static func alerts(_ vigil: VigilProcess) -> [String: (state: String, activeAt: String)] {
        guard let body = try? vigil.get("/api/v1/alerts").text,
              let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
              let data = json["data"] as? [String: Any], let list = data["alerts"] as? [[String: Any]] else { return [:] }
        var out: [String: (String, String)] = [:]
        for a in list {
            guard let labels = a["labels"] as? [String: String], let name = labels["alertname"],
                  let state = a["state"] as? String, let activeAt = a["activeAt"] as? String else { continue }
            out[name] = (state, activeAt)
        }
        return out
    }

    /// The value of the first sample line starting with `prefix`.
    static func sample(_ vigil: VigilProcess, prefix: String) -> Double? {
        vigil.metrics().split(separator: "\n").first { $0.hasPrefix(prefix) }
            .flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Double($0) }
    }

    static func evaluations(_ vigil: VigilProcess, _ group: String, _ rules: URL) -> Double {
        vigil.value("vigil_rule_group_evaluations_total{rule_group=\"\(rules.path);\(group)\"}") ?? 0
    }

    @Test("a reload that changes another group keeps a pending alert's activeAt (for: 1h) and sends a firing alert no second notification, also when the alerting section changes")
    func stateSurvivesReload() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let receiver = try RecordingReceiver()
        defer { receiver.close() }
        let rules = dir.appendingPathComponent("rules.yml")
        try Self.rules(otherExpr: "vigil_build_info").write(to: rules, atomically: true, encoding: .utf8)
        let vigil = try VigilProcess(binary: bin, config: Self.config(dir: dir, rules: rules, receiverPort: receiver.port, extraReceiver: false))
        #expect(vigil.waitReady(), "\(vigil.log)")
        #expect(eventually(15) { receiver.requests.count == 1 }, "\(vigil.log)")
        #expect(eventually(10) { Self.alerts(vigil)["VigilLongPending"]?.state == "pending" && Self.alerts(vigil)["VigilFiring"]?.state == "firing" })
        let before = Self.alerts(vigil)
        let pendingSince = try #require(before["VigilLongPending"]?.activeAt)
        let firingSince = try #require(before["VigilFiring"]?.activeAt)

        // Reload 1 changes the `other` group; reload 2 also adds a receiver (the notifier is
        // replaced and reads its notification log from the state directory).
        for (n, extra) in [(1, false), (2, true)] {
            try Self.rules(otherExpr: "vigil_build_info * \(n + 1)").write(to: rules, atomically: true, encoding: .utf8)
            try vigil.write(config: Self.config(dir: dir, rules: rules, receiverPort: receiver.port, extraReceiver: extra))
            let reloads = vigil.log.components(separatedBy: "configuration reloaded").count
            #expect(try vigil.get("/-/reload", method: "POST").status == 200)
            #expect(eventually(15) { vigil.log.components(separatedBy: "configuration reloaded").count > reloads }, "\(vigil.log)")
            // Several evaluations after the reload, each handing the firing alert to the notifier.
            let evaluated = Self.evaluations(vigil, "fires", rules)
            #expect(eventually(15) { Self.evaluations(vigil, "fires", rules) >= evaluated + 3 }, "\(vigil.metrics())")
            // The changed group is in force (its recorded series carries vigil_build_info's labels).
            #expect(eventually(10) { Self.sample(vigil, prefix: "vigil:other{") == Double(n + 1) }, "reload \(n): \(vigil.metrics())")
            let after = Self.alerts(vigil)
            #expect(after["VigilLongPending"]?.state == "pending" && after["VigilLongPending"]?.activeAt == pendingSince,
                    "reload \(n): \(after) (before: \(before))")
            #expect(after["VigilFiring"]?.state == "firing" && after["VigilFiring"]?.activeAt == firingSince, "reload \(n): \(after)")
            #expect(receiver.requests.count == 1, "reload \(n) re-sent: \(receiver.requests.map(\.body))")
        }
        // ALERTS_FOR_STATE on /metrics carries the same activeAt (whole seconds).
        let line = vigil.metrics().split(separator: "\n").first { $0.hasPrefix("ALERTS_FOR_STATE{") && $0.contains("alertname=\"VigilLongPending\"") }
        let forState = line.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Double($0) }
        #expect(line != nil, "\(vigil.metrics())")
        // RFC 3339 with an optional fraction: the whole seconds are its first 19 characters.
        let since = try #require(ISO8601DateFormatter().date(from: String(pendingSince.prefix(19)) + "Z"))
        #expect(forState == since.timeIntervalSince1970.rounded(.down), "\(String(describing: line)) vs \(pendingSince)")
        _ = vigil.terminate()
    }
}
