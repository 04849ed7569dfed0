import Foundation
import VigilCore

/// The `web:` keys of the status page and of probe access: `dashboards_url`, `health_without_auth`.
extension VigilConfig.Web {
    mutating func readStatusPage(_ w: StrictYAMLReader) throws(PositionedError) {
        if let url = try w.string("dashboards_url") {
            if let problem = Self.dashboardsURLProblem(url) { throw w.error("dashboards_url", problem) }
            dashboardsURL = url
        }
        healthWithoutAuth = try w.bool("health_without_auth") ?? healthWithoutAuth
    }

    /// Why `url` cannot be linked from the status page, or nil: an absolute http(s) URL with a
    /// host, no credentials (the page would show them) and no characters a link cannot hold.
    static func dashboardsURLProblem(_ url: String) -> String? {
        guard !url.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) else {
            return "must be an http or https URL without spaces or control characters"
        }
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = parts.host, !host.isEmpty else {
            return "must be an absolute http or https URL (e.g. https://grafana.example.com/dashboards/f/vigil)"
        }
        guard parts.user == nil, parts.password == nil else {
            return "must not hold credentials: the status page shows the link"
        }
        return nil
    }
}
