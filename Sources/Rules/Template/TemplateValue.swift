/// A value inside a template: what Go's text/template would hold for Prometheus' data.
public enum TemplateValue: Sendable, Hashable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case map([String: String])
    /// A query result (`query "…"`) or another list.
    case list([TemplateValue])
    /// One sample of a query result: `.Labels`, `.Value`.
    case sample(labels: [String: String], value: Double)
    /// A struct-like value with fields of any kind (Alertmanager's notification data:
    /// `.Alerts`, `.CommonLabels`, each alert's `.Labels`, `.StartsAt`, …).
    case object([String: TemplateValue])
    case null

    /// Go's `%v`/print rendering.
    public var rendered: String {
        switch self {
        case .string(let s): s
        case .number(let v): GoFormat.float(v)
        case .bool(let b): b ? "true" : "false"
        case .map(let m): "map[" + m.keys.sorted().map { "\($0):\(m[$0] ?? "")" }.joined(separator: " ") + "]"
        case .list(let l): "[" + l.map(\.rendered).joined(separator: " ") + "]"
        case .sample(let labels, let value): "{" + TemplateValue.map(labels).rendered + " " + GoFormat.float(value) + "}"
        case .object(let o): "{" + o.keys.sorted().map { o[$0]?.rendered ?? "" }.joined(separator: " ") + "}"
        case .null: "<no value>"
        }
    }

    var truthy: Bool {
        switch self {
        case .string(let s): !s.isEmpty
        case .number(let v): v != 0
        case .bool(let b): b
        case .map(let m): !m.isEmpty
        case .list(let l): !l.isEmpty
        case .sample: true
        case .object(let o): !o.isEmpty
        case .null: false
        }
    }
}
