import Foundation
import VigilCore

extension Evaluator {
    func evalCall(_ c: FunctionCall, _ t: Int64) throws(EvalError) -> Value {
        let name = c.function.name
        switch name {
        case "time": return .scalar(Double(t) / 1000)
        case "pi": return .scalar(Double.pi)
        case "vector":
            let v = try scalarArg(c, 0, t)
            return .vector([VectorSample(labels: .empty, value: v)])
        case "scalar":
            let vec = try vectorArg(c, 0, t)
            return .scalar(vec.count == 1 ? vec[0].value : .nan)
        case "absent":
            let vec = try vectorArg(c, 0, t)
            return .vector(vec.isEmpty ? [VectorSample(labels: Self.absentLabels(c.args[0]), value: 1)] : [])
        case "absent_over_time":
            let m = try matrixArg(c, 0, t)
            return .vector(m.isEmpty ? [VectorSample(labels: Self.absentLabels(c.args[0]), value: 1)] : [])
        case "sort", "sort_desc":
            let desc = name == "sort_desc"
            let vec = try vectorArg(c, 0, t)
            return .vector(vec.enumerated().sorted { x, y in
                let a = x.element.value, b = y.element.value
                if a.isNaN != b.isNaN { return !a.isNaN }
                if a != b, !a.isNaN { return desc ? a > b : a < b }
                return x.offset < y.offset
            }.map(\.element))
        case "timestamp":
            // The stored sample's time only for a plain vector selector argument (parentheses
            // unwrapped), as Prometheus special-cases it; otherwise the evaluation time.
            let vec = try vectorArg(c, 0, t)
            let direct = Self.isVectorSelector(c.args[0])
            return .vector(vec.map { VectorSample(labels: $0.labels.droppingMetricSchema, value: Double(direct ? ($0.sourceTime ?? t) : t) / 1000) })
        case "label_replace": return .vector(try labelReplace(c, t))
        case "label_join": return .vector(try labelJoin(c, t))
        case "histogram_quantile": return .vector(try histogramQuantile(c, t))
        case "histogram_fraction": return .vector(try histogramFraction(c, t))
        case "histogram_avg", "histogram_count", "histogram_sum", "histogram_stddev", "histogram_stdvar":
            // Only native histograms answer; float samples (all Vigil has) are ignored.
            _ = try vectorArg(c, 0, t)
            return .vector([])
        case "clamp", "clamp_min", "clamp_max":
            let vec = try vectorArg(c, 0, t)
            var lo = -Double.infinity, hi = Double.infinity
            if name == "clamp" {
                lo = try scalarArg(c, 1, t)
                hi = try scalarArg(c, 2, t)
                if hi < lo { return .vector([]) }
            } else if name == "clamp_min" {
                lo = try scalarArg(c, 1, t)
            } else {
                hi = try scalarArg(c, 1, t)
            }
            return .vector(vec.map { s in
                // Go's math.Max/Min propagate NaN.
                let v: Double = (s.value.isNaN || lo.isNaN || hi.isNaN) ? .nan : Swift.max(lo, Swift.min(hi, s.value))
                return VectorSample(labels: s.labels.droppingMetricSchema, value: v)
            })
        case "round":
            let vec = try vectorArg(c, 0, t)
            let toNearest = c.args.count > 1 ? try scalarArg(c, 1, t) : 1
            let inverse = 1 / toNearest
            return .vector(vec.map { VectorSample(labels: $0.labels.droppingMetricSchema, value: Foundation.floor($0.value * inverse + 0.5) / inverse) })
        case "day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year":
            let vec = c.args.isEmpty ? [VectorSample(labels: .empty, value: Double(t) / 1000)] : try vectorArg(c, 0, t)
            return .vector(vec.map { VectorSample(labels: $0.labels.droppingMetricSchema, value: Self.dateFunction(name, $0.value)) })
        case "predict_linear":
            let m = try matrixArg(c, 0, t)
            let duration = try scalarArg(c, 1, t)
            return .vector(m.compactMap { s in
                guard s.points.count >= 2 else { return nil }
                let (slope, intercept) = PromMath.linearRegression(s.points, interceptTime: t)
                return VectorSample(labels: s.labels.droppingMetricSchema, value: slope * duration + intercept)
            })
        case "quantile_over_time":
            let q = try scalarArg(c, 0, t)
            let m = try matrixArg(c, 1, t)
            return .vector(m.map { VectorSample(labels: $0.labels.droppingMetricSchema, value: PromMath.quantile(q, $0.points.map(\.v))) })
        default:
            break
        }
        if c.function.argTypes.first == .matrix {
            let m = try matrixArg(c, 0, t)
            // The range ends at the `@` time (if any) minus the offset: extrapolation uses it.
            let (range, rangeEnd) = try rangeAndEnd(c.args[0], t)
            var out: [VectorSample] = []
            for s in m {
                try poll()
                guard let v = Self.rangeFunction(name, s.points, t: rangeEnd, range: range, offset: 0) else { continue }
                let labels = name == "last_over_time" || name == "first_over_time" ? s.labels : s.labels.droppingMetricSchema
                out.append(VectorSample(labels: labels, value: v))
            }
            return .vector(out)
        }
        guard let f = Self.mathFunctions[name] else { throw EvalError("function \(name) is not supported") }
        let vec = try vectorArg(c, 0, t)
        return .vector(vec.map { VectorSample(labels: $0.labels.droppingMetricSchema, value: f($0.value)) })
    }

    // MARK: arguments

    private func scalarArg(_ c: FunctionCall, _ i: Int, _ t: Int64) throws(EvalError) -> Double {
        guard case .scalar(let v) = try eval(c.args[i], t) else { throw EvalError("expected a scalar argument") }
        return v
    }

    private func vectorArg(_ c: FunctionCall, _ i: Int, _ t: Int64) throws(EvalError) -> [VectorSample] {
        guard case .vector(let v) = try eval(c.args[i], t) else { throw EvalError("expected an instant vector argument") }
        return v
    }

    private func matrixArg(_ c: FunctionCall, _ i: Int, _ t: Int64) throws(EvalError) -> [RangeSeries] {
        guard case .matrix(let m) = try eval(c.args[i], t) else { throw EvalError("expected a range vector argument") }
        return m
    }

    private func stringArg(_ c: FunctionCall, _ i: Int, _ t: Int64) throws(EvalError) -> String {
        guard case .string(let s) = try eval(c.args[i], t) else { throw EvalError("expected a string argument") }
        return s
    }

    static func isVectorSelector(_ e: Expr) -> Bool {
        switch e {
        case .vectorSelector: true
        case .paren(let x): isVectorSelector(x)
        default: false
        }
    }

    /// The range of a matrix argument and the time its range ends: the `@` time (or `t`)
    /// minus the offset, as Prometheus' extrapolatedRate sees it.
    func rangeAndEnd(_ e: Expr, _ t: Int64) throws(EvalError) -> (range: Int64, end: Int64) {
        switch e {
        case .matrixSelector(let s, let r): (try matrixRange(s, r), resolve(s.at, t) - (try offset(s)))
        case .subquery(let s): (try subqueryRange(s), resolve(s.at, t) - (try offset(s)))
        case .paren(let x): try rangeAndEnd(x, t)
        default: (0, t)
        }
    }

    /// Labels `absent()` reports: the equality matchers of a selector argument that name a
    /// label once (`__name__` excluded).
    static func absentLabels(_ e: Expr) -> LabelSet {
        let matchers: [LabelMatcher]
        switch e {
        case .vectorSelector(let s): matchers = s.matchers
        case .matrixSelector(let s, _): matchers = s.matchers
        case .paren(let x): return absentLabels(x)
        default: return .empty
        }
        var counts: [String: Int] = [:]
        for m in matchers { counts[m.name, default: 0] += 1 }
        var labels: [Label] = []
        for m in matchers where m.op == .equal && m.name != "__name__" && counts[m.name] == 1 {
            labels.append(Label(m.name, m.value))
        }
        return LabelSet(labels)
    }

    // MARK: range functions

    static func rangeFunction(_ name: String, _ pts: [RangeSeries.Point], t: Int64, range: Int64, offset: Int64) -> Double? {
        guard !pts.isEmpty else { return nil }
        switch name {
        case "rate": return extrapolatedRate(pts, t: t, range: range, offset: offset, isCounter: true, isRate: true)
        case "increase": return extrapolatedRate(pts, t: t, range: range, offset: offset, isCounter: true, isRate: false)
        case "delta": return extrapolatedRate(pts, t: t, range: range, offset: offset, isCounter: false, isRate: false)
        case "irate", "idelta":
            guard pts.count >= 2 else { return nil }
            let last = pts[pts.count - 1], prev = pts[pts.count - 2]
            if name == "idelta" { return last.v - prev.v }
            let dt = Double(last.t - prev.t) / 1000
            guard dt != 0 else { return nil }
            let diff = last.v < prev.v ? last.v : last.v - prev.v
            return diff / dt
        case "deriv":
            guard pts.count >= 2 else { return nil }
            return PromMath.linearRegression(pts, interceptTime: pts[0].t).slope
        case "changes":
            var n = 0.0
            for i in 1..<pts.count {
                let a = pts[i - 1].v, b = pts[i].v
                if !(a == b || (a.isNaN && b.isNaN)) { n += 1 }
            }
            return n
        case "resets":
            var n = 0.0
            for i in 1..<pts.count where pts[i].v < pts[i - 1].v { n += 1 }
            return n
        case "avg_over_time": return PromMath.mean(pts.map(\.v))
        case "sum_over_time": return PromMath.kahanSum(pts.map(\.v))
        case "count_over_time": return Double(pts.count)
        case "last_over_time": return pts[pts.count - 1].v
        case "first_over_time": return pts[0].v
        case "present_over_time": return 1
        case "min_over_time":
            var m = pts[0].v
            for p in pts.dropFirst() where p.v < m || m.isNaN { m = p.v }
            return m
        case "max_over_time":
            var m = pts[0].v
            for p in pts.dropFirst() where p.v > m || m.isNaN { m = p.v }
            return m
        case "stdvar_over_time": return PromMath.variance(pts.map(\.v))
        case "stddev_over_time": return PromMath.variance(pts.map(\.v)).squareRoot()
        default: return nil
        }
    }

    /// Prometheus 3.x `extrapolatedRate`: counter resets add the value before the drop; the
    /// result is extrapolated to the range edges by at most half the average sample interval
    /// (when the edge is further than 1.1 intervals), and never below a counter's zero point.
    static func extrapolatedRate(_ pts: [RangeSeries.Point], t: Int64, range: Int64, offset: Int64, isCounter: Bool, isRate: Bool) -> Double? {
        guard pts.count >= 2 else { return nil }
        let rangeStart = t - (range + offset)
        let rangeEnd = t - offset
        var result = pts[pts.count - 1].v - pts[0].v
        if isCounter {
            var last = 0.0
            for p in pts {
                if p.v < last { result += last }
                last = p.v
            }
        }
        var durationToStart = Double(pts[0].t - rangeStart) / 1000
        var durationToEnd = Double(rangeEnd - pts[pts.count - 1].t) / 1000
        let sampledInterval = Double(pts[pts.count - 1].t - pts[0].t) / 1000
        let averageInterval = sampledInterval / Double(pts.count - 1)
        let threshold = averageInterval * 1.1
        var extrapolateTo = sampledInterval
        if durationToStart >= threshold { durationToStart = averageInterval / 2 }
        if isCounter, result > 0, pts[0].v >= 0 {
            let durationToZero = sampledInterval * (pts[0].v / result)
            if durationToZero < durationToStart { durationToStart = durationToZero }
        }
        extrapolateTo += durationToStart
        if durationToEnd >= threshold { durationToEnd = averageInterval / 2 }
        extrapolateTo += durationToEnd
        var factor = extrapolateTo / sampledInterval
        if isRate { factor /= Double(range) / 1000 }
        return result * factor
    }

    // MARK: label functions

    private func labelReplace(_ c: FunctionCall, _ t: Int64) throws(EvalError) -> [VectorSample] {
        let vec = try vectorArg(c, 0, t)
        let dst = try stringArg(c, 1, t)
        let replacement = try stringArg(c, 2, t)
        let src = try stringArg(c, 3, t)
        let pattern = try stringArg(c, 4, t)
        let regex: AnchoredRegex
        do { regex = try AnchoredRegex(pattern) } catch {
            throw EvalError("invalid regular expression in label_replace(): \(pattern): \(error.reason)")
        }
        guard Parser.isValidLabelName(dst) else { throw EvalError("invalid destination label name in label_replace(): \(dst)") }
        let groupNames = Self.groupNames(pattern)
        var out: [VectorSample] = []
        var seen: Set<LabelSet> = []
        for s in vec {
            var labels = s.labels
            if let groups = regex.captures(s.labels[src] ?? "") {
                let value = Self.expand(replacement, groups: groups, names: groupNames)
                labels = labels.setting(dst, value)
            }
            guard seen.insert(labels).inserted else { throw EvalError("vector cannot contain metrics with the same labelset") }
            out.append(VectorSample(labels: labels, value: s.value, sourceTime: s.sourceTime))
        }
        return out
    }

    private func labelJoin(_ c: FunctionCall, _ t: Int64) throws(EvalError) -> [VectorSample] {
        let vec = try vectorArg(c, 0, t)
        let dst = try stringArg(c, 1, t)
        let sep = try stringArg(c, 2, t)
        var srcs: [String] = []
        for i in 3..<c.args.count { srcs.append(try stringArg(c, i, t)) }
        guard Parser.isValidLabelName(dst) else { throw EvalError("invalid destination label name in label_join(): \(dst)") }
        var out: [VectorSample] = []
        var seen: Set<LabelSet> = []
        for s in vec {
            let value = srcs.map { s.labels[$0] ?? "" }.joined(separator: sep)
            let labels = s.labels.setting(dst, value)
            guard seen.insert(labels).inserted else { throw EvalError("vector cannot contain metrics with the same labelset") }
            out.append(VectorSample(labels: labels, value: s.value, sourceTime: s.sourceTime))
        }
        return out
    }

    /// Go's `(?P<name>…)` group syntax in ICU's spelling (templates' NSRegularExpression).
    static func goRegexSyntax(_ p: String) -> String { p.replacingOccurrences(of: "(?P<", with: "(?<") }

    /// Names of capture groups in order of their opening parenthesis ("" for unnamed ones).
    static func groupNames(_ p: String) -> [String] {
        var names: [String] = []
        let chars = Array(p)
        var i = 0
        var inClass = false
        while i < chars.count {
            let ch = chars[i]
            if ch == "\\" { i += 2; continue }
            if inClass { if ch == "]" { inClass = false }; i += 1; continue }
            if ch == "[" { inClass = true; i += 1; continue }
            if ch == "(" {
                if i + 1 < chars.count, chars[i + 1] == "?" {
                    var j = i + 2
                    if j < chars.count, chars[j] == "P" { j += 1 }
                    if j < chars.count, chars[j] == "<", j + 1 < chars.count, chars[j + 1] != "=", chars[j + 1] != "!" {
                        var name = ""
                        j += 1
                        while j < chars.count, chars[j] != ">" { name.append(chars[j]); j += 1 }
                        names.append(name)
                    }
                } else {
                    names.append("")
                }
            }
            i += 1
        }
        return names
    }

    /// Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; the longest name wins
    /// (`$1x` names group "1x", which does not exist and expands to "").
    static func expand(_ template: String, groups: [String], names: [String]) -> String {
        var out = ""
        let chars = Array(template)
        var i = 0
        func lookup(_ name: String) -> String {
            if let n = Int(name), name.allSatisfy(\.isNumber) { return n < groups.count ? groups[n] : "" }
            if let idx = names.firstIndex(of: name), idx + 1 < groups.count { return groups[idx + 1] }
            return ""
        }
        func isNameChar(_ c: Character) -> Bool { c == "_" || (c.isASCII && (c.isLetter || c.isNumber)) }
        while i < chars.count {
            let ch = chars[i]
            guard ch == "$", i + 1 < chars.count else { out.append(ch); i += 1; continue }
            let next = chars[i + 1]
            if next == "$" { out.append("$"); i += 2; continue }
            if next == "{" {
                if let close = chars[(i + 2)...].firstIndex(of: "}") {
                    let name = String(chars[(i + 2)..<close])
                    if !name.isEmpty, name.allSatisfy(isNameChar) {
                        out += lookup(name)
                        i = close + 1
                        continue
                    }
                }
                out.append(ch)
                i += 1
                continue
            }
            var j = i + 1
            while j < chars.count, isNameChar(chars[j]) { j += 1 }
            if j == i + 1 { out.append(ch); i += 1; continue }
            out += lookup(String(chars[(i + 1)..<j]))
            i = j
        }
        return out
    }

    // MARK: histogram_quantile

    private func histogramQuantile(_ c: FunctionCall, _ t: Int64) throws(EvalError) -> [VectorSample] {
        let q = try scalarArg(c, 0, t)
        let vec = try vectorArg(c, 1, t)
        var order: [LabelSet] = []
        var groups: [LabelSet: [(upper: Double, count: Double)]] = [:]
        for s in vec {
            guard let le = s.labels["le"], let upper = Self.parseLe(le) else { continue }
            // Buckets of different metric names are different histograms (Prometheus keys
            // them by all labels but `le`); their results then collide and are rejected.
            let key = s.labels.removing(["le"])
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append((upper, s.value))
        }
        return order.map { VectorSample(labels: $0.droppingMetricSchema, value: PromMath.bucketQuantile(q, groups[$0] ?? [])) }
    }

    /// histogram_fraction over classic buckets (Prometheus' BucketFraction), grouped as
    /// histogram_quantile groups them.
    private func histogramFraction(_ c: FunctionCall, _ t: Int64) throws(EvalError) -> [VectorSample] {
        let lower = try scalarArg(c, 0, t)
        let upper = try scalarArg(c, 1, t)
        let vec = try vectorArg(c, 2, t)
        var order: [LabelSet] = []
        var groups: [LabelSet: [(upper: Double, count: Double)]] = [:]
        for s in vec {
            try poll()
            guard let le = s.labels["le"], let bound = Self.parseLe(le) else { continue }
            let key = s.labels.removing(["le"])
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append((bound, s.value))
        }
        return order.map { VectorSample(labels: $0.droppingMetricSchema, value: PromMath.bucketFraction(lower, upper, groups[$0] ?? [])) }
    }

    static func parseLe(_ s: String) -> Double? {
        switch s.lowercased() {
        case "+inf", "inf": return .infinity
        case "-inf": return -.infinity
        case "nan": return .nan
        default: return Double(s)
        }
    }

    // MARK: math

    static let mathFunctions: [String: @Sendable (Double) -> Double] = [
        "abs": { Swift.abs($0) }, "ceil": { Foundation.ceil($0) }, "floor": { Foundation.floor($0) },
        "exp": { Foundation.exp($0) }, "ln": { Foundation.log($0) }, "log2": { Foundation.log2($0) },
        "log10": { Foundation.log10($0) }, "sqrt": { Foundation.sqrt($0) },
        "sgn": { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) },
        "acos": { Foundation.acos($0) }, "acosh": { Foundation.acosh($0) }, "asin": { Foundation.asin($0) },
        "asinh": { Foundation.asinh($0) }, "atan": { Foundation.atan($0) }, "atanh": { Foundation.atanh($0) },
        "cos": { Foundation.cos($0) }, "cosh": { Foundation.cosh($0) }, "sin": { Foundation.sin($0) },
        "sinh": { Foundation.sinh($0) }, "tan": { Foundation.tan($0) }, "tanh": { Foundation.tanh($0) },
        "deg": { $0 * 180 / Double.pi }, "rad": { $0 * Double.pi / 180 },
    ]

    static func dateFunction(_ name: String, _ seconds: Double) -> Double {
        // Go's int64(v) of NaN, ±Inf or |v| ≥ 2^63 is platform-defined; Vigil answers NaN.
        guard seconds.isFinite, abs(seconds) < 0x1p63 else { return .nan }
        // Go's time.Unix(int64(v), 0).UTC(): the conversion truncates toward zero; the proleptic
        // Gregorian calendar in integer arithmetic covers every int64 second (years far beyond
        // what Foundation's Calendar handles).
        let secs = Int64(seconds.rounded(.towardZero))
        var days = secs / 86_400
        var rem = secs % 86_400
        if rem < 0 { rem += 86_400; days -= 1 }
        // Days since 1970-01-01 to a civil date (Howard Hinnant's civil_from_days).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let marchDay = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * marchDay + 2) / 153
        let day = marchDay - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let monthDays: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        switch name {
        case "day_of_month": return Double(day)
        case "day_of_week": return Double(((days + 4) % 7 + 7) % 7)
        case "day_of_year": return Double(monthDays.prefix(Int(month - 1)).reduce(0, +) + day)
        case "days_in_month": return Double(monthDays[Int(month - 1)])
        case "hour": return Double(rem / 3_600)
        case "minute": return Double(rem % 3_600 / 60)
        case "month": return Double(month)
        case "year": return Double(year)
        default: return .nan
        }
    }
}
