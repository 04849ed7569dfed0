import VigilCore

/// promtool's series notation: `metric{a="b"}` descriptions and value sequences in the
/// expanding notation (`1+2x10`, `5-1x3`, `7x4`, `_`, `_x3`, `stale`, `Inf`, `NaN`).
public enum SeriesNotation {
    public enum Value: Sendable, Hashable {
        case sample(Double)
        case blank
        case stale
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Parses `metric{label="v", …}` (equality matchers only) into a label set.
    public static func labels(_ text: String) throws(Failure) -> LabelSet {
        let expr: Expr
        do { expr = try PromQL.parse(text) } catch { throw Failure(message: "invalid series \(PromQLString.quote(text)): \(error)") }
        guard case .vectorSelector(let s) = expr, s.offset == 0, s.at == nil else {
            throw Failure(message: "invalid series \(PromQLString.quote(text)): expected a metric with labels")
        }
        var labels: [Label] = []
        for m in s.matchers {
            guard m.op == .equal else { throw Failure(message: "invalid series \(PromQLString.quote(text)): only = matchers are allowed") }
            labels.append(Label(m.name, m.value))
        }
        return LabelSet(labels)
    }

    /// Largest expansion of one series accepted (bounds memory for `1+1x1000000000`).
    public static let maxValues = 1_000_000

    private static func tooMany(_ t: String) -> Failure {
        Failure(message: "invalid value \(PromQLString.quote(t)): the series expands to more than \(maxValues) samples")
    }

    /// How many values `values(text)` yields, without expanding them; nil where `values`
    /// fails. Lets a caller bound the total of many series before allocating any.
    public static func count(_ text: String) -> Int? {
        if text.contains("{{") { return nil }
        var n = 0
        for token in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            var add = 1
            if token.hasPrefix("_x") {
                guard let k = Int(token.dropFirst(2)), k >= 0 else { return nil }
                add = k
            } else if token != "_", token.lowercased() != "stale", let x = token.lastIndex(of: "x") {
                guard let k = Int(token[token.index(after: x)...]), k >= 0, k < maxValues else { return nil }
                add = k + 1
            }
            guard add <= maxValues - n else { return nil }
            n += add
        }
        return n
    }

    /// The error for a native histogram sample (`{{schema:0 sum:1 count:1}}`): Vigil stores and
    /// evaluates float samples only.
    public static let nativeHistogramsUnsupported =
        "native histograms are not supported: Vigil evaluates float samples only (found a {{…}} histogram sample)"

    /// Expands a value sequence.
    public static func values(_ text: String) throws(Failure) -> [Value] {
        if text.contains("{{") { throw Failure(message: nativeHistogramsUnsupported) }
        var out: [Value] = []
        for token in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            let t = String(token)
            if t == "_" { out.append(.blank); continue }
            if t.lowercased() == "stale" { out.append(.stale); continue }
            guard out.count < maxValues else { throw tooMany(t) }
            if t.hasPrefix("_x") {
                guard let n = Int(t.dropFirst(2)), n >= 0 else { throw Failure(message: "invalid value \(PromQLString.quote(t))") }
                guard n <= maxValues - out.count else { throw tooMany(t) }
                out += Array(repeating: .blank, count: n)
                continue
            }
            guard let xIndex = t.lastIndex(of: "x") else {
                out.append(.sample(try number(t)))
                continue
            }
            guard let n = Int(t[t.index(after: xIndex)...]), n >= 0 else { throw Failure(message: "invalid value \(PromQLString.quote(t))") }
            // `AxN` is N + 1 samples.
            guard n < maxValues - out.count else { throw tooMany(t) }
            let base = String(t[..<xIndex])
            // Find the +/- separating start and increment (not a leading sign, not an exponent sign).
            let chars = Array(base)
            var split: Int?
            for i in stride(from: chars.count - 1, to: 0, by: -1) where chars[i] == "+" || chars[i] == "-" {
                let prev = chars[i - 1]
                if prev == "e" || prev == "E" { continue }
                split = i
                break
            }
            let start: Double, step: Double
            if let split {
                start = try number(String(chars[..<split]))
                let inc = try number(String(chars[(split + 1)...]))
                step = chars[split] == "-" ? -inc : inc
            } else {
                start = try number(base)
                step = 0
            }
            // Repeated addition, as Prometheus' series parser does (it matters for 0.1 steps).
            var v = start
            for _ in 0...n {
                out.append(.sample(v))
                v += step
            }
        }
        return out
    }

    private static func number(_ s: String) throws(Failure) -> Double {
        switch s.lowercased() {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case "nan": return .nan
        default:
            guard let v = Double(s) else { throw Failure(message: "invalid number \(PromQLString.quote(s))") }
            return v
        }
    }
}
