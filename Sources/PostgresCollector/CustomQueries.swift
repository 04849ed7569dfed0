import Foundation
import VigilCore
import Yams

/// Custom SQL in postgres_exporter's `queries.yaml` format: each top-level key is a metric
/// namespace with a `query`, its `metrics` (one entry per column, in order, with a `usage`
/// of LABEL, COUNTER, GAUGE, DURATION, HISTOGRAM, MAPPEDMETRIC or DISCARD), and optionally
/// `master` and `cache_seconds`. Parsing and row mapping are pure.
struct CustomQueries: Sendable {
    enum Usage: String, Sendable, CaseIterable {
        case label = "LABEL", counter = "COUNTER", gauge = "GAUGE", duration = "DURATION"
        case histogram = "HISTOGRAM", mappedMetric = "MAPPEDMETRIC", discard = "DISCARD"
    }

    struct Column: Sendable, Equatable {
        var name: String
        var usage: Usage
        var description: String
        var mapping: [String: Double]
    }

    struct Query: Sendable {
        var namespace: String
        var sql: String
        /// postgres_exporter runs such queries only on the DSN's database; Vigil always runs
        /// custom queries there, so this is accepted and has no further effect.
        var master: Bool
        var cacheSeconds: Double
        var columns: [Column]

        var labelColumns: [String] { columns.filter { $0.usage == .label }.map(\.name) }
    }

    var queries: [Query]

    /// A problem in the file, naming the query and column at fault.
    struct FileError: Error, CustomStringConvertible, Sendable {
        var file: String
        var line: Int?
        var query: String?
        var column: String?
        var message: String

        var description: String {
            var where_ = file
            if let line { where_ += ":\(line)" }
            var what: [String] = []
            if let query { what.append("query \(query)") }
            if let column { what.append("column \(column)") }
            return "\(where_): " + (what.isEmpty ? "" : what.joined(separator: ", ") + ": ") + message
        }
    }

    /// A query whose result could not be mapped.
    struct MappingError: Error, CustomStringConvertible, Sendable {
        var query: String
        var message: String
        var description: String { "query \(query): \(message)" }
    }

    static func load(path: String) throws -> CustomQueries {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw FileError(file: path, message: "cannot read the file: \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    static func parse(_ text: String, file: String = "queries.yaml") throws -> CustomQueries {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw FileError(file: file, message: "not valid YAML: \(error)")
        }
        guard let root else { return CustomQueries(queries: []) }
        guard let top = root.mapping else {
            throw FileError(file: file, line: root.mark?.line, message: "expected a mapping of query names to queries")
        }
        var queries: [Query] = []
        var seenNamespaces = Set<String>()
        for (keyNode, value) in top {
            guard let ns = keyNode.string, !ns.isEmpty else {
                throw FileError(file: file, line: keyNode.mark?.line, message: "a query name must be a string")
            }
            func fail(_ message: String, _ node: Node?, column: String? = nil) -> FileError {
                FileError(file: file, line: (node ?? keyNode).mark?.line, query: ns, column: column, message: message)
            }
            guard isMetricName(ns) else { throw fail("\"\(ns)\" is not a valid metric name prefix", keyNode) }
            guard seenNamespaces.insert(ns).inserted else { throw fail("defined twice", keyNode) }
            guard let body = value.mapping else { throw fail("expected a mapping with query and metrics", value) }
            guard let sqlNode = body["query"], let sql = sqlNode.string,
                  !sql.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw fail("missing query", value)
            }
            var master = false
            if let m = body["master"] {
                guard let b = m.bool else { throw fail("master must be true or false", m) }
                master = b
            }
            var cache = 0.0
            if let c = body["cache_seconds"] {
                // At most a day: the cache age is compared in Int64 milliseconds, which a huge value would overflow.
                guard let n = c.int, (0...86_400).contains(n) else { throw fail("cache_seconds must be a whole number of seconds from 0 to 86400", c) }
                cache = Double(n)
            }
            guard let metricsNode = body["metrics"], let metrics = metricsNode.sequence else {
                throw fail("missing metrics (a list of columns)", value)
            }
            var columns: [Column] = []
            for item in metrics {
                guard let entry = item.mapping, entry.count == 1, let (colKey, spec) = entry.first.map({ ($0.key, $0.value) }),
                      let column = colKey.string, !column.isEmpty else {
                    throw fail("each metrics entry must map one column name to its usage", item)
                }
                guard let specMap = spec.mapping else { throw fail("expected usage and description", spec, column: column) }
                guard let usageNode = specMap["usage"], let usageText = usageNode.string else {
                    throw fail("missing usage", spec, column: column)
                }
                guard let usage = Usage(rawValue: usageText.uppercased()) else {
                    throw fail("unknown usage \"\(usageText)\" (expected one of \(Usage.allCases.map(\.rawValue).joined(separator: ", ")))", usageNode, column: column)
                }
                if usage != .label, usage != .discard, !isMetricName(ns + "_" + column) {
                    throw fail("\"\(ns)_\(column)\" is not a valid metric name", colKey, column: column)
                }
                if usage == .label, !isLabelName(column) {
                    throw fail("\"\(column)\" is not a valid label name", colKey, column: column)
                }
                guard !columns.contains(where: { $0.name == column }) else { throw fail("listed twice", colKey, column: column) }
                var mapping: [String: Double] = [:]
                if let mm = specMap["metric_mapping"] {
                    guard let m = mm.mapping else { throw fail("metric_mapping must map values to numbers", mm, column: column) }
                    for (k, v) in m {
                        guard let key = k.string, let number = v.float else {
                            throw fail("metric_mapping must map values to numbers", v, column: column)
                        }
                        mapping[key] = number
                    }
                }
                if usage == .mappedMetric, mapping.isEmpty {
                    throw fail("MAPPEDMETRIC needs a metric_mapping", spec, column: column)
                }
                columns.append(Column(name: column, usage: usage, description: specMap["description"]?.string ?? "", mapping: mapping))
            }
            queries.append(Query(namespace: ns, sql: sql, master: master, cacheSeconds: cache, columns: columns))
        }
        return CustomQueries(queries: queries)
    }

    static func isMetricName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || first == ":" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || $0 == ":" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    static func isLabelName(_ s: String) -> Bool {
        isMetricName(s) && !s.contains(":") && !s.hasPrefix("__")
    }

    // MARK: - Mapping rows

    /// The families of one query's result. Columns the file does not list are exported
    /// untyped when numeric, as postgres_exporter does.
    static func families(_ q: Query, _ result: QueryResult) throws -> [MetricFamily] {
        let rows = result.namedRows
        for l in q.labelColumns where result.index(of: l) == nil {
            throw MappingError(query: q.namespace, message: "label column \(l) is missing from the result")
        }
        let byName = Dictionary(q.columns.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var consumed = Set<String>()
        for c in q.columns where c.usage == .histogram {
            consumed.formUnion([c.name + "_bucket", c.name + "_sum", c.name + "_count"])
            for part in [c.name, c.name + "_bucket", c.name + "_sum", c.name + "_count"] where result.index(of: part) == nil {
                throw MappingError(query: q.namespace, message: "histogram \(c.name) needs column \(part) in the result")
            }
        }
        var set = FamilyBuilder()
        for row in rows {
            var labels = Labels()
            for l in q.labelColumns { labels.set(l, row.label(l)) }
            for column in result.columns where !consumed.contains(column) {
                let name = q.namespace + "_" + column
                guard let spec = byName[column] else {
                    // A column the file does not name is exported under its own name: only when that is a metric name.
                    guard isMetricName(name), let v = row[column].flatMap(Row.number) else { continue }
                    set.add(name, .untyped, v, labels, help: "Unknown metric from \(q.namespace)")
                    continue
                }
                switch spec.usage {
                case .label, .discard:
                    continue
                case .gauge:
                    set.gauge(name, row.double(column) ?? .nan, labels, help: spec.description)
                case .counter:
                    // NULL is NaN (postgres_exporter's); a count below zero is no count: left out.
                    let v = row.double(column) ?? .nan
                    if v < 0 { continue }
                    set.counter(name, v, labels, help: spec.description)
                case .mappedMetric:
                    set.gauge(name, row[column].flatMap { spec.mapping[$0] } ?? .nan, labels, help: spec.description)
                case .duration:
                    set.gauge(name + "_milliseconds", row[column].flatMap(durationMilliseconds) ?? .nan, labels, help: spec.description)
                case .histogram:
                    let bounds = row[column].flatMap(parseArray) ?? []
                    let counts = row[column + "_bucket"].flatMap(parseArray) ?? []
                    let buckets = zip(bounds, counts).map { ($0, $1) }.sorted { $0.0 < $1.0 }
                    let family = MetricFamily.histogram(name, spec.description, series: [
                        (labels: labels, buckets: buckets, sum: row.double(column + "_sum") ?? .nan, count: row.double(column + "_count") ?? 0),
                    ])
                    set.append(family)
                }
            }
        }
        return set.families
    }

    /// A PostgreSQL array literal of numbers: `{1,2.5,NULL}` (NULLs are dropped). Nil when
    /// the text is not an array of numbers.
    static func parseArray(_ text: String) -> [Double]? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("{"), t.hasSuffix("}") else { return nil }
        let inner = t.dropFirst().dropLast()
        if inner.isEmpty { return [] }
        var out: [Double] = []
        for part in inner.split(separator: ",") {
            let p = part.trimmingCharacters(in: .whitespaces)
            if p == "NULL" { continue }
            guard let v = Row.number(p) else { return nil }
            out.append(v)
        }
        return out
    }

    /// Milliseconds of a duration: Go's notation as postgres_exporter parses it (`1h2m3.5s`,
    /// `300ms`, `1.5us`) or PostgreSQL's interval output (`01:02:03.5`, `2 days 01:00:00`).
    /// `-1`, anything else unreadable and a duration too long to be finite give nil.
    static func durationMilliseconds(_ text: String) -> Double? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s == "-1" || s.isEmpty { return nil }
        guard let ms = goDuration(s) ?? intervalMilliseconds(s), ms.isFinite else { return nil }
        return ms
    }

    private static func goDuration(_ s: String) -> Double? {
        var rest = Substring(s)
        var sign = 1.0
        if rest.first == "-" { sign = -1; rest = rest.dropFirst() } else if rest.first == "+" { rest = rest.dropFirst() }
        if rest == "0" { return 0 }
        let units: [(String, Double)] = [("ns", 1e-6), ("us", 1e-3), ("µs", 1e-3), ("μs", 1e-3), ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        var total = 0.0
        var any = false
        while !rest.isEmpty {
            let num = rest.prefix(while: { $0.isNumber || $0 == "." })
            guard !num.isEmpty, let v = Double(num) else { return nil }
            rest = rest.dropFirst(num.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            // "ms" before "m" and "s": the list is ordered so that longer units match first.
            rest = rest.dropFirst(unit.0.count)
            total += v * unit.1
            any = true
        }
        return any ? sign * total : nil
    }

    private static func intervalMilliseconds(_ s: String) -> Double? {
        var days = 0.0
        var clock = Substring(s)
        if let r = s.range(of: #"^(-?\d+) days? ?"#, options: .regularExpression) {
            let head = s[r].split(separator: " ").first.flatMap { Double($0) } ?? 0
            days = head
            clock = s[r.upperBound...]
        }
        if clock.isEmpty { return days * 86_400_000 }
        let negative = clock.hasPrefix("-")
        if negative { clock = clock.dropFirst() }
        let parts = clock.split(separator: ":")
        guard parts.count == 3, let h = Double(parts[0]), let m = Double(parts[1]), let sec = Double(parts[2]) else { return nil }
        let ms = ((h * 60 + m) * 60 + sec) * 1000
        return days * 86_400_000 + (negative ? -ms : ms)
    }
}
