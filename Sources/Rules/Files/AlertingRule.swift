public import VigilCore

/// `alert: name` / `expr` / `for` / `keep_firing_for` / `labels` / `annotations`.
public struct AlertingRule: Sendable, Hashable {
    public var name: String
    public var expr: Expr
    public var exprText: String
    /// `for`, milliseconds.
    public var holdDuration: Int64
    /// `keep_firing_for`, milliseconds.
    public var keepFiringFor: Int64
    /// Label templates (expanded per alert).
    public var labels: [Label]
    /// Annotation templates (expanded per alert).
    public var annotations: [Label]
    public var line: Int

    public init(name: String, expr: Expr, exprText: String, holdDuration: Int64 = 0, keepFiringFor: Int64 = 0,
                labels: [Label] = [], annotations: [Label] = [], line: Int = 0) {
        self.name = name
        self.expr = expr
        self.exprText = exprText
        self.holdDuration = holdDuration
        self.keepFiringFor = keepFiringFor
        self.labels = labels
        self.annotations = annotations
        self.line = line
    }
}
