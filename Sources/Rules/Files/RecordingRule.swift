public import VigilCore

/// `record: name` / `expr` / `labels`.
public struct RecordingRule: Sendable, Hashable {
    public var name: String
    public var expr: Expr
    public var exprText: String
    public var labels: [Label]
    /// Position in its file, for errors and reports.
    public var line: Int

    public init(name: String, expr: Expr, exprText: String, labels: [Label] = [], line: Int = 0) {
        self.name = name
        self.expr = expr
        self.exprText = exprText
        self.labels = labels
        self.line = line
    }
}
