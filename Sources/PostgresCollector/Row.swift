/// One row of a `QueryResult`, read by column name. Numbers are parsed from PostgreSQL's
/// text output; booleans are `t`/`f`.
struct Row {
    let columns: [String: Int]
    let values: [String?]

    subscript(_ name: String) -> String? {
        guard let i = columns[name], i < values.count else { return nil }
        return values[i]
    }

    /// The column as a number: integers, floats, `t`/`f` (1/0), `NaN`, `Infinity`. Nil for NULL
    /// or text that is not a number.
    func double(_ name: String) -> Double? {
        guard let s = self[name] else { return nil }
        return Row.number(s)
    }

    /// `double(name)` with NULL read as 0 (how postgres_exporter reports NULL counters).
    func value(_ name: String) -> Double { double(name) ?? 0 }

    /// A label value: NULL becomes "".
    func label(_ name: String) -> String { self[name] ?? "" }

    static func number(_ s: String) -> Double? {
        switch s {
        case "t", "true", "on": return 1
        case "f", "false", "off": return 0
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: return Double(s)
        }
    }
}

extension QueryResult {
    /// The rows, each readable by column name.
    var namedRows: [Row] {
        var map: [String: Int] = [:]
        for (i, c) in columns.enumerated() where map[c] == nil { map[c] = i }
        return rows.map { Row(columns: map, values: $0) }
    }
}
