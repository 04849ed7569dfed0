/// Entry point of the PromQL front end.
public enum PromQL {
    /// Parses an expression; errors carry their position (`PromQLError.offset/line/column`).
    public static func parse(_ text: String) throws(PromQLError) -> Expr {
        var p = try Parser(text)
        return try p.parseTop()
    }

    /// The default look-back of instant selectors (5 minutes), in milliseconds.
    public static let lookbackDelta: Int64 = 5 * 60 * 1000
}
