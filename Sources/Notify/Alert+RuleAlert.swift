import Foundation
public import Rules

extension Alert {
    /// A rule-engine alert as Alertmanager receives it from Prometheus: labels without
    /// `__name__` plus external labels (the alert's own win), startsAt = when it became active,
    /// endsAt set once resolved (when it resolved, or the update's time if unknown), and a link
    /// to the expression under `externalURL`.
    public init(_ a: Rules.Alert, resolved: Bool, update: RuleRuntime.AlertUpdate,
                externalLabels: [String: String], externalURL: String) {
        var labels = externalLabels
        for l in a.labels.withoutName { labels[l.name] = l.value }
        let name = labels["alertname"] ?? ""
        var generator = ""
        if let expr = update.expressions[name] {
            var q = CharacterSet.urlQueryAllowed
            q.remove(charactersIn: "&+=?#")
            let encoded = expr.addingPercentEncoding(withAllowedCharacters: q) ?? ""
            generator = "\(externalURL)/api/v1/query?query=\(encoded)"
        }
        let endsAt: Date? = resolved ? Date(timeIntervalSince1970: Double(a.resolvedAt ?? SeriesHistory.milliseconds(update.at)) / 1000) : nil
        self.init(labels: labels, annotations: a.annotations,
                  startsAt: Date(timeIntervalSince1970: Double(a.activeAt) / 1000),
                  endsAt: endsAt, generatorURL: generator)
    }

    /// Every alert of one evaluation's update, firing ones first, as the notifier receives them.
    public static func alerts(from update: RuleRuntime.AlertUpdate, externalLabels: [String: String],
                              externalURL: String) -> [Alert] {
        update.firing.map { Alert($0, resolved: false, update: update, externalLabels: externalLabels, externalURL: externalURL) }
            + update.resolved.map { Alert($0, resolved: true, update: update, externalLabels: externalLabels, externalURL: externalURL) }
    }
}
