import Foundation
import HTTPServer
import Rules

/// `/api/v1/query`, `/api/v1/alerts` and `/api/v1/rules` in the Prometheus HTTP API's shapes.
/// A query evaluates on a copy of the rule engine's history, on the HTTP thread that owns the
/// connection (libmicrohttpd runs several, so /metrics keeps answering meanwhile).
struct RulesAPI: Sendable {
    let rules: RuleRuntime

    func register(on router: inout Router) {
        router.add("/api/v1/query", methods: ["GET", "POST"]) { query($0) }
        router.get("/api/v1/alerts") { _ in
            let snapshot = rules.snapshot()
            let alerts = snapshot.engine.states.values.flatMap(\.alerts)
            return json(PrometheusAPI.alertsResponse(alerts))
        }
        router.get("/api/v1/rules") { _ in json(PrometheusAPI.rulesResponse(rules.snapshot().groups)) }
    }

    private func query(_ request: HTTPRequest) -> HTTPResponse {
        var params = request.query
        if request.method == "POST", request.header("content-type")?.hasPrefix("application/x-www-form-urlencoded") == true {
            for (k, v) in Self.formDecode(String(decoding: request.body, as: UTF8.self)) { params[k] = v }
        }
        guard let text = params["query"], !text.isEmpty else {
            return json(PrometheusAPI.errorResponse(message: "parameter \"query\" is required"), status: 400)
        }
        let time: Int64
        if let raw = params["time"], !raw.isEmpty {
            guard let t = Self.parseTime(raw) else {
                return json(PrometheusAPI.errorResponse(message: "invalid parameter \"time\": cannot parse \"\(raw)\" to a valid timestamp"), status: 400)
            }
            time = t
        } else {
            time = SeriesHistory.milliseconds(Date())
        }
        let expr: Expr
        do {
            expr = try PromQL.parse(text)
        } catch {
            return json(PrometheusAPI.errorResponse(message: "\(error)"), status: 400)
        }
        let snapshot = rules.snapshot()
        do {
            let value = try Evaluator(history: snapshot.history).instant(expr, at: time)
            return json(PrometheusAPI.queryResponse(value, at: time))
        } catch {
            return json(PrometheusAPI.errorResponse(type: "execution", message: "\(error)"), status: 422)
        }
    }

    /// Unix seconds (fractions allowed) or RFC 3339, as Prometheus accepts; milliseconds out.
    static func parseTime(_ raw: String) -> Int64? {
        try? PrometheusAPI.parseTime(raw)
    }

    static func formDecode(_ body: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            if let k = kv.first { out[k] = kv.count > 1 ? kv[1] : "" }
        }
        return out
    }

    private func json(_ data: Data, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(data))
    }
}
