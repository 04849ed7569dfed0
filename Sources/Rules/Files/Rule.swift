/// One rule of a group.
public enum Rule: Sendable, Hashable {
    case alerting(AlertingRule)
    case recording(RecordingRule)

    public var name: String {
        switch self {
        case .alerting(let a): a.name
        case .recording(let r): r.name
        }
    }

    public var expr: Expr {
        switch self {
        case .alerting(let a): a.expr
        case .recording(let r): r.expr
        }
    }
}
