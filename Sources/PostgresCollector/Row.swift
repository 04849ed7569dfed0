/// One row of a `QueryResult`, read by column name. Numbers are parsed from PostgreSQL's
/// text output; booleans are `t`/`f`.
struct Row {
    let columns: [String: Int]
    let values: [String?]

    subscript(_ name: String) -> String? {
        guard let i = columns[name], i < values.count else { return nil }
        return values[i]
    }

    /// The column as a number: integers, floats, `t`/`f` (1/0). Nil for NULL, for text that is
    /// not a number and for one that is not finite (`NaN`, `Infinity`, `1e309`): a value is
    /// exported finite or not at all (readers that report NULL as NaN still do).
    func double(_ name: String) -> Double? {
        guard let s = self[name] else { return nil }
        return Row.number(s)
    }

    /// `double(name)` with NULL read as 0 (how postgres_exporter reports NULL counters).
    func value(_ name: String) -> Double { double(name) ?? 0 }

    /// A counter's value: NULL reads as 0; a negative or unreadable value is nil (not exported:
    /// a counter below zero is no count).
    func count(_ name: String) -> Double? {
        guard let s = self[name] else { return 0 }
        guard let v = Row.number(s), v >= 0 else { return nil }
        return v
    }

    /// A label value: NULL becomes "".
    func label(_ name: String) -> String { self[name] ?? "" }

    static func number(_ s: String) -> Double? {
        switch s {
        case "t", "true", "on": return 1
        case "f", "false", "off": return 0
        default:
            guard let v = Double(s), v.isFinite else { return nil }
            return v
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
