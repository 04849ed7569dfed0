public import Foundation

/// JSON bodies in the Prometheus HTTP API's shapes (`/api/v1/query`, `/api/v1/alerts`,
/// `/api/v1/rules`), so existing tools can read them. Pure: the caller passes times and state.
public enum PrometheusAPI {
    /// `{"status":"success","data":{"resultType":…,"result":…}}` for a query evaluated at `t` (ms).
    public static func queryResponse(_ value: Value, at t: Int64) -> Data {
        let ts = Double(t) / 1000
        let result: Any
        let type: String
        switch value {
        case .scalar(let v):
            type = "scalar"
            result = [ts, GoFormat.float(v)] as [Any]
        case .string(let s):
            type = "string"
            result = [ts, s] as [Any]
        case .vector(let vec):
            type = "vector"
            result = vec.map { ["metric": labelMap($0.labels), "value": [ts, GoFormat.float($0.value)] as [Any]] as [String: Any] }
        case .matrix(let m):
            type = "matrix"
            result = m.map { s in
                ["metric": labelMap(s.labels), "values": s.points.map { [Double($0.t) / 1000, GoFormat.float($0.v)] as [Any] }] as [String: Any]
            }
        }
        return json(["status": "success", "data": ["resultType": type, "result": result] as [String: Any]])
    }

    /// `{"status":"error","errorType":"bad_data","error":"…"}`.
    public static func errorResponse(type: String = "bad_data", message: String) -> Data {
        json(["status": "error", "errorType": type, "error": message])
    }

    /// `/api/v1/alerts`: every pending and firing alert.
    public static func alertsResponse(_ alerts: [Alert]) -> Data {
        json(["status": "success", "data": ["alerts": alerts.filter { $0.state != .inactive }.map(alertObject)] as [String: Any]])
    }

    /// The state and health of one rule for `/api/v1/rules`.
    public struct RuleStatus: Sendable {
        public var rule: Rule
        public var alerts: [Alert]
        public var lastError: String?
        public var lastEvaluation: Int64?
        public var evaluationSeconds: Double
        public init(rule: Rule, alerts: [Alert] = [], lastError: String? = nil, lastEvaluation: Int64? = nil, evaluationSeconds: Double = 0) {
            self.rule = rule
            self.alerts = alerts
            self.lastError = lastError
            self.lastEvaluation = lastEvaluation
            self.evaluationSeconds = evaluationSeconds
        }
    }

    public struct GroupStatus: Sendable {
        public var group: RuleGroup
        public var interval: Int64
        public var rules: [RuleStatus]
        public var lastEvaluation: Int64?
        public var evaluationSeconds: Double
        public init(group: RuleGroup, interval: Int64, rules: [RuleStatus], lastEvaluation: Int64? = nil, evaluationSeconds: Double = 0) {
            self.group = group
            self.interval = interval
            self.rules = rules
            self.lastEvaluation = lastEvaluation
            self.evaluationSeconds = evaluationSeconds
        }
    }

    /// `/api/v1/rules`.
    public static func rulesResponse(_ groups: [GroupStatus]) -> Data {
        let list: [[String: Any]] = groups.map { g in
            [
                "name": g.group.name, "file": g.group.file, "interval": Double(g.interval) / 1000,
                "limit": g.group.limit, "evaluationTime": g.evaluationSeconds,
                "lastEvaluation": timestamp(g.lastEvaluation),
                "rules": g.rules.map(ruleObject),
            ]
        }
        return json(["status": "success", "data": ["groups": list] as [String: Any]])
    }

    static func ruleObject(_ s: RuleStatus) -> [String: Any] {
        var o: [String: Any] = [
            "health": s.lastEvaluation == nil ? "unknown" : (s.lastError == nil ? "ok" : "err"),
            "lastError": s.lastError ?? "", "evaluationTime": s.evaluationSeconds,
            "lastEvaluation": timestamp(s.lastEvaluation),
        ]
        switch s.rule {
        case .recording(let r):
            o["type"] = "recording"
            o["name"] = r.name
            o["query"] = r.exprText
            o["labels"] = Dictionary(r.labels.map { ($0.name, $0.value) }, uniquingKeysWith: { _, b in b })
        case .alerting(let a):
            let active = s.alerts.filter { $0.state != .inactive }
            o["type"] = "alerting"
            o["name"] = a.name
            o["query"] = a.exprText
            o["duration"] = Double(a.holdDuration) / 1000
            o["keepFiringFor"] = Double(a.keepFiringFor) / 1000
            o["labels"] = Dictionary(a.labels.map { ($0.name, $0.value) }, uniquingKeysWith: { _, b in b })
            o["annotations"] = Dictionary(a.annotations.map { ($0.name, $0.value) }, uniquingKeysWith: { _, b in b })
            o["alerts"] = active.map(alertObject)
            o["state"] = active.contains { $0.state == .firing } ? "firing" : (active.isEmpty ? "inactive" : "pending")
        }
        return o
    }

    static func alertObject(_ a: Alert) -> [String: Any] {
        var o: [String: Any] = [
            "labels": labelMap(a.labels), "annotations": a.annotations, "state": a.state.rawValue,
            "activeAt": timestamp(a.activeAt), "value": GoFormat.exponent(a.value),
        ]
        if let k = a.keepFiringSince { o["keepFiringSince"] = timestamp(k) }
        return o
    }

    static func labelMap(_ ls: LabelSet) -> [String: String] {
        Dictionary(ls.labels.map { ($0.name, $0.value) }, uniquingKeysWith: { _, b in b })
    }

    /// RFC 3339 with fractional seconds, UTC, as Go marshals time.Time; the zero time when nil.
    static func timestamp(_ ms: Int64?) -> String {
        guard let ms else { return "0001-01-01T00:00:00Z" }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    static func json(_ object: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    }
}
