public import VigilCore

/// One series of a scraped body, before target labels and relabeling.
public struct ScrapedSeries: Sendable, Hashable {
    /// The sample's own name (`x_bucket`, `x_total`, …): `__name__` for relabeling.
    public var name: String
    public var labels: [Label]
    public var value: Double
    /// The Vigil family it belongs to (index into `ScrapedBody.families`) and its suffix there
    /// (`_bucket`, `_sum`, `_count`, `_created` for histograms and summaries, else "").
    public var family: Int
    public var suffix: String
}

/// A parsed body: the Vigil families (name, type, help) and every series in body order.
public struct ScrapedBody: Sendable {
    public var families: [MetricFamily] = []
    public var series: [ScrapedSeries] = []
}

/// Why a body was refused; `reason` is the `reason` label of `vigil_scrape_failures_total`.
public struct ExpositionError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: String, Sendable, Hashable {
        case invalidUTF8 = "invalid_utf8"
        case parse = "parse_error"
        case duplicate = "duplicate_series"
    }
    public let reason: Reason
    public let line: Int
    public let message: String
    public var description: String { line > 0 ? "line \(line): \(message)" : message }
}

/// Parses a scraped body in the text format 0.0.4 or OpenMetrics 1.0.0 into Vigil families.
///
/// Family mapping (the series names are exactly the exposition's, as Prometheus stores them):
/// an OpenMetrics counter `x` gives a counter family `x_total` and a gauge `x_created`;
/// histograms and summaries keep their parts (`_bucket`, `_sum`, `_count`, `_created`) in one
/// family; `info` gives a gauge `x_info`, `stateset` a gauge `x`, `gaugehistogram` gauges per
/// part, `unknown` and undeclared samples untyped families. `le` of histogram buckets and
/// `quantile` of summaries are normalised as Prometheus 3.x does (`1` → `1.0`). Timestamps and
/// exemplars are read and dropped (samples carry the time of the scrape). A body that is not
/// UTF-8, has a syntax error, repeats a series, or (OpenMetrics) lacks its final `# EOF` is
/// refused as a whole, as Prometheus refuses the scrape.
public enum ExpositionScanner {
    public static func parse(_ bytes: [UInt8], format: ScrapeFormat) throws(ExpositionError) -> ScrapedBody {
        guard var text = String(validating: bytes, as: UTF8.self) else {
            throw ExpositionError(reason: .invalidUTF8, line: 0, message: "the body is not valid UTF-8")
        }
        let result: Result<ScrapedBody, ExpositionError> = text.withUTF8 { buf in
            var parser = Parser(buf: buf, openMetrics: format == .openMetrics)
            return Result { () throws(ExpositionError) -> ScrapedBody in try parser.run() }
        }
        return try result.get()
    }
}

private struct Declared {
    var type: String
    var help: String?
}

private struct Parser {
    let buf: UnsafeBufferPointer<UInt8>
    let openMetrics: Bool
    var pos = 0
    var line = 0
    var body = ScrapedBody()
    var declared: [String: Declared] = [:]
    var familyIndex: [String: Int] = [:]
    var seen: Set<SeriesKey> = []
    var sawEOF = false

    struct SeriesKey: Hashable {
        var name: String
        var labels: [Label]
    }

    init(buf: UnsafeBufferPointer<UInt8>, openMetrics: Bool) {
        self.buf = buf
        self.openMetrics = openMetrics
    }

    func fail(_ message: String) -> ExpositionError {
        ExpositionError(reason: .parse, line: line, message: message)
    }

    mutating func run() throws(ExpositionError) -> ScrapedBody {
        while pos < buf.count {
            line += 1
            var end = pos
            while end < buf.count, buf[end] != 10 { end += 1 }
            var lineEnd = end
            if !openMetrics, lineEnd > pos, buf[lineEnd - 1] == 13 { lineEnd -= 1 }
            if sawEOF { throw fail("content after # EOF") }
            try parseLine(pos, lineEnd)
            pos = end + 1
        }
        if openMetrics, !sawEOF { throw fail("the body does not end with # EOF") }
        return body
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 }

    mutating func parseLine(_ start: Int, _ end: Int) throws(ExpositionError) {
        var i = start
        if openMetrics {
            guard i < end else { throw fail("empty line") }
        } else {
            while i < end, Self.isSpace(buf[i]) { i += 1 }
            if i == end { return }
        }
        if buf[i] == UInt8(ascii: "#") {
            try parseComment(i + 1, end)
        } else {
            try parseSample(i, end)
        }
    }

    func string(_ a: Int, _ b: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: buf[a..<b]), as: UTF8.self)
    }

    mutating func parseComment(_ start: Int, _ end: Int) throws(ExpositionError) {
        if openMetrics, string(start, end) == " EOF" {
            sawEOF = true
            return
        }
        var i = start
        while i < end, Self.isSpace(buf[i]) { i += 1 }
        var w = i
        while w < end, !Self.isSpace(buf[w]) { w += 1 }
        let keyword = string(i, w)
        guard keyword == "TYPE" || keyword == "HELP" || (openMetrics && keyword == "UNIT") else {
            if openMetrics { throw fail("unknown comment \(keyword.prefix(20))") }
            return
        }
        i = w
        while i < end, Self.isSpace(buf[i]) { i += 1 }
        var n = i
        while n < end, !Self.isSpace(buf[n]) { n += 1 }
        let name = string(i, n)
        guard Self.isMetricName(name) else { throw fail("invalid metric name in \(keyword) line") }
        if n < end { n += 1 }
        if !openMetrics { while n < end, Self.isSpace(buf[n]) { n += 1 } }
        switch keyword {
        case "TYPE":
            let type = string(n, end).trimmingCharacters(in: " \t")
            let allowed = openMetrics
                ? ["counter", "gauge", "histogram", "gaugehistogram", "stateset", "info", "summary", "unknown"]
                : ["counter", "gauge", "histogram", "summary", "untyped"]
            guard allowed.contains(type) else { throw fail("invalid metric type \"\(type.prefix(20))\"") }
            if let d = declared[name], d.type != "" { throw fail("second TYPE line for \(name)") }
            declared[name, default: Declared(type: "")].type = type
        case "HELP":
            declared[name, default: Declared(type: "")].help = unescapeHelp(n, end)
        default:
            break
        }
    }

    func unescapeHelp(_ a: Int, _ b: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(b - a)
        var i = a
        while i < b {
            let c = buf[i]
            if c == 92, i + 1 < b {
                switch buf[i + 1] {
                case UInt8(ascii: "n"): out.append(10); i += 2; continue
                case 92: out.append(92); i += 2; continue
                case 34 where openMetrics: out.append(34); i += 2; continue
                default: break
                }
            }
            out.append(c)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func isMetricName(_ s: String) -> Bool {
        var first = true
        for b in s.utf8 {
            let ok = (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || b == 95 || b == 58 || (!first && b >= 48 && b <= 57)
            guard ok else { return false }
            first = false
        }
        return !first
    }

    static func isNameStart(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || b == 95 }
    static func isNameByte(_ b: UInt8) -> Bool { isNameStart(b) || (b >= 48 && b <= 57) }

    mutating func parseSample(_ start: Int, _ end: Int) throws(ExpositionError) {
        var i = start
        guard Self.isNameStart(buf[i]) || buf[i] == 58 else { throw fail("invalid metric name") }
        while i < end, Self.isNameByte(buf[i]) || buf[i] == 58 { i += 1 }
        let name = string(start, i)
        var labels: [Label] = []
        let afterName = i
        if !openMetrics { while i < end, Self.isSpace(buf[i]) { i += 1 } }
        if i < end, buf[i] == UInt8(ascii: "{") {
            i += 1
            try parseLabels(&i, end, into: &labels)
        } else {
            i = afterName
        }
        guard i < end, Self.isSpace(buf[i]) else { throw fail("expected a space before the value of \(name)") }
        while i < end, Self.isSpace(buf[i]) { i += 1 }
        var v = i
        while v < end, !Self.isSpace(buf[v]) { v += 1 }
        guard v > i, let value = Self.parseFloat(string(i, v)) else { throw fail("invalid value for \(name)") }
        i = v
        while i < end, Self.isSpace(buf[i]) { i += 1 }
        if i < end, !(openMetrics && buf[i] == UInt8(ascii: "#")) {
            var t = i
            while t < end, !Self.isSpace(buf[t]) { t += 1 }
            let ts = string(i, t)
            let valid = openMetrics ? Self.parseFloat(ts).map { $0.isFinite } ?? false : Int64(ts) != nil
            guard valid else { throw fail("invalid timestamp for \(name)") }
            i = t
            while i < end, Self.isSpace(buf[i]) { i += 1 }
        }
        if i < end {
            // OpenMetrics exemplar (` # {labels} value [timestamp]`): checked for shape, dropped.
            guard openMetrics, buf[i] == UInt8(ascii: "#") else { throw fail("unexpected text after the sample of \(name)") }
            i += 1
            while i < end, Self.isSpace(buf[i]) { i += 1 }
            guard i < end, buf[i] == UInt8(ascii: "{") else { throw fail("invalid exemplar of \(name)") }
            i += 1
            var exemplar: [Label] = []
            try parseLabels(&i, end, into: &exemplar)
        }
        try add(name: name, labels: labels, value: value)
    }

    mutating func parseLabels(_ i: inout Int, _ end: Int, into labels: inout [Label]) throws(ExpositionError) {
        while true {
            while i < end, Self.isSpace(buf[i]) { i += 1 }
            guard i < end else { throw fail("unterminated label set") }
            if buf[i] == UInt8(ascii: "}") { i += 1; return }
            let nameStart = i
            guard Self.isNameStart(buf[i]) else { throw fail("invalid label name") }
            while i < end, Self.isNameByte(buf[i]) { i += 1 }
            let labelName = string(nameStart, i)
            while i < end, Self.isSpace(buf[i]) { i += 1 }
            guard i < end, buf[i] == UInt8(ascii: "=") else { throw fail("expected = after label \(labelName)") }
            i += 1
            while i < end, Self.isSpace(buf[i]) { i += 1 }
            guard i < end, buf[i] == 34 else { throw fail("label value of \(labelName) must be quoted") }
            i += 1
            let valueStart = i
            var escaped = false
            while i < end, buf[i] != 34 {
                if buf[i] == 92 { escaped = true; i += 1 }
                i += 1
            }
            guard i < end else { throw fail("unterminated label value of \(labelName)") }
            let value = escaped ? unescapeLabel(valueStart, i) : string(valueStart, i)
            i += 1
            if labels.contains(where: { $0.name == labelName }) { throw fail("duplicate label \(labelName)") }
            labels.append(Label(labelName, value))
            while i < end, Self.isSpace(buf[i]) { i += 1 }
            guard i < end else { throw fail("unterminated label set") }
            if buf[i] == UInt8(ascii: ",") { i += 1; continue }
            guard buf[i] == UInt8(ascii: "}") else { throw fail("expected , or } after label \(labelName)") }
        }
    }

    func unescapeLabel(_ a: Int, _ b: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(b - a)
        var i = a
        while i < b {
            let c = buf[i]
            if c == 92, i + 1 < b {
                switch buf[i + 1] {
                case UInt8(ascii: "n"): out.append(10)
                case 92: out.append(92)
                case 34: out.append(34)
                default: out.append(92); out.append(buf[i + 1])
                }
                i += 2
                continue
            }
            out.append(c)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Go's `strconv.ParseFloat` spellings of the special values, then Swift's parser.
    static func parseFloat(_ s: String) -> Double? {
        // Nearly every value starts with a digit: no special spelling to look for.
        if let first = s.utf8.first, first >= 48, first <= 57 { return Double(s) }
        switch s.lowercased() {
        case "+inf", "inf", "+infinity", "infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan", "+nan", "-nan": return .nan
        default: return Double(s)
        }
    }

    /// Which Vigil family the sample `name` belongs to, and its suffix there.
    func classify(_ name: String) -> (family: String, type: MetricType, suffix: String, declaredAs: String?) {
        if let d = declared[name], !d.type.isEmpty {
            switch d.type {
            case "counter": return (name, .counter, "", name)
            case "gauge", "stateset": return (name, .gauge, "", name)
            case "summary": return (name, .summary, "", name)
            default: return (name, .untyped, "", name)
            }
        }
        for suffix in ["_bucket", "_count", "_sum", "_created", "_total", "_info", "_gcount", "_gsum"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            guard let d = declared[base] else { continue }
            switch (d.type, suffix) {
            case ("histogram", "_bucket"), ("histogram", "_count"), ("histogram", "_sum"), ("histogram", "_created"):
                return (base, .histogram, suffix, base)
            case ("summary", "_count"), ("summary", "_sum"), ("summary", "_created"):
                return (base, .summary, suffix, base)
            case ("counter", "_total"):
                return (name, .counter, "", base)
            case ("counter", "_created"), ("info", "_info"), ("gaugehistogram", _):
                return (name, .gauge, "", base)
            default:
                continue
            }
        }
        return (name, .untyped, "", nil)
    }

    mutating func add(name: String, labels: [Label], value: Double) throws(ExpositionError) {
        let c = classify(name)
        var labels = labels
        if (c.type == .histogram && c.suffix == "_bucket") || (c.type == .summary && c.suffix == "") {
            let key = c.type == .histogram ? "le" : "quantile"
            if let i = labels.firstIndex(where: { $0.name == key }), let f = Self.parseFloat(labels[i].value) {
                labels[i].value = PromFloat.openMetrics(f)
            }
        }
        guard seen.insert(SeriesKey(name: name, labels: labels.sorted { $0.name < $1.name })).inserted else {
            throw ExpositionError(reason: .duplicate, line: line, message: "duplicate sample for series \(name)")
        }
        let index: Int
        if let known = familyIndex[c.family] {
            index = known
        } else {
            index = body.families.count
            familyIndex[c.family] = index
            let help = c.declaredAs.flatMap { declared[$0]?.help } ?? ""
            body.families.append(MetricFamily(name: c.family, help: help, type: c.type))
        }
        body.series.append(ScrapedSeries(name: name, labels: labels, value: value, family: index, suffix: c.suffix))
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
