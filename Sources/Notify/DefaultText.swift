/// The default message texts (Vigil's; close to Alertmanager's default templates): a title
/// such as `[FIRING:2] DiskFull (server="db1")` and one block per alert with its name,
/// severity, summary, description, runbook link, value, labels and a link to its source.
enum DefaultText {
    enum Flavor { case slack, markdown, plain }

    static func title(_ c: NotificationContent) -> String {
        let firing = c.items.filter { $0.status == .firing }.count
        var head = c.status == .firing ? "[FIRING:\(firing)]" : "[RESOLVED]"
        let name = c.commonLabels["alertname"] ?? c.groupLabels["alertname"]
        if let name { head += " \(name)" }
        let others = c.groupLabels.filter { $0.key != "alertname" }.sorted { $0.key < $1.key }
        if !others.isEmpty { head += " (" + others.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: " ") + ")" }
        return head
    }

    static func link(_ text: String, _ url: String, _ flavor: Flavor) -> String {
        switch flavor {
        case .slack: "<\(url)|\(text)>"
        case .markdown: "[\(text)](\(url))"
        case .plain: "\(text): \(url)"
        }
    }

    static func bold(_ text: String, _ flavor: Flavor) -> String {
        switch flavor {
        case .slack: "*\(text)*"
        case .markdown: "**\(text)**"
        case .plain: text
        }
    }

    /// One alert's block.
    static func alert(_ item: NotificationContent.Item, _ flavor: Flavor) -> String {
        let a = item.alert
        var lines: [String] = []
        var head = bold(a.name.isEmpty ? "alert" : a.name, flavor)
        if let sev = a.labels["severity"] { head += " (\(sev))" }
        if item.status == .resolved { head += " resolved" }
        if let summary = a.annotations["summary"] ?? a.annotations["message"] { head += " - \(summary)" }
        lines.append(head)
        if let d = a.annotations["description"] { lines.append(d) }
        if let v = a.annotations["value"] { lines.append("Value: \(v)") }
        if let r = a.annotations["runbook_url"] ?? a.annotations["runbook"] { lines.append(link("Runbook", r, flavor)) }
        let labels = a.sortedLabels.filter { $0.name != "alertname" && $0.name != "severity" }
        if !labels.isEmpty { lines.append("Labels: " + labels.map { "\($0.name)=\"\($0.value)\"" }.joined(separator: ", ")) }
        if !a.generatorURL.isEmpty { lines.append(link("Source", a.generatorURL, flavor)) }
        return lines.joined(separator: "\n")
    }

    static func body(_ c: NotificationContent, _ flavor: Flavor) -> String {
        var blocks = c.items.map { alert($0, flavor) }
        if c.truncatedAlerts > 0 { blocks.append("… and \(c.truncatedAlerts) more") }
        if !c.externalURL.isEmpty { blocks.append(link("Open Vigil", c.externalURL, flavor)) }
        return blocks.joined(separator: "\n\n")
    }

    /// Cuts `s` to at most `max` characters, marking the cut with an ellipsis.
    static func truncate(_ s: String, _ max: Int) -> String {
        guard s.count > max else { return s }
        return String(s.prefix(max - 1)) + "…"
    }
}
