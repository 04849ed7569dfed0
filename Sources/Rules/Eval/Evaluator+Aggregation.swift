import Foundation

extension Evaluator {
    func evalAggregate(_ a: AggregateExpr, _ t: Int64) throws(EvalError) -> Value {
        guard case .vector(let input) = try eval(a.expr, t) else {
            throw EvalError("aggregation needs an instant vector")
        }
        var param = 0.0
        var label = ""
        if let p = a.param {
            switch try eval(p, t) {
            case .scalar(let v): param = v
            case .string(let s): label = s
            default: throw EvalError("invalid aggregation parameter")
            }
        }
        if a.op == .countValues, !Parser.isValidLabelName(label) {
            throw EvalError("invalid label name \(PromQLString.quote(label))")
        }
        if a.op == .topk || a.op == .bottomk {
            // Prometheus 3.x: k < 1 selects nothing; NaN and values beyond int64 are errors.
            if param < 1 { return .vector([]) }
            if param.isNaN { throw EvalError("Parameter value is NaN") }
            if param >= Self.maxInt64 { throw EvalError("Scalar value \(GoFormat.float(param)) overflows int64") }
        }
        let groupingSet = Set(a.grouping)
        func groupKey(_ ls: LabelSet) -> LabelSet {
            a.without ? ls.removing(groupingSet.union(["__name__"])) : ls.keeping(groupingSet)
        }
        // Groups in first-seen order.
        var order: [LabelSet] = []
        var groups: [LabelSet: [VectorSample]] = [:]
        if a.op == .countValues { return .vector(Self.countValues(input, label: label, grouping: groupingSet, without: a.without)) }
        for (i, s) in input.enumerated() {
            if i & 255 == 255 { try poll() }
            let k = groupKey(s.labels)
            if groups[k] == nil { order.append(k) }
            groups[k, default: []].append(s)
        }
        var out: [VectorSample] = []
        for k in order {
            try poll()
            let members = groups[k] ?? []
            let values = members.map(\.value)
            switch a.op {
            case .sum: out.append(VectorSample(labels: k, value: PromMath.kahanSum(values)))
            case .avg: out.append(VectorSample(labels: k, value: PromMath.mean(values)))
            case .count: out.append(VectorSample(labels: k, value: Double(values.count)))
            case .group: out.append(VectorSample(labels: k, value: 1))
            case .min:
                var m = values[0]
                for v in values.dropFirst() where m > v || m.isNaN { m = v }
                out.append(VectorSample(labels: k, value: m))
            case .max:
                var m = values[0]
                for v in values.dropFirst() where m < v || m.isNaN { m = v }
                out.append(VectorSample(labels: k, value: m))
            case .stdvar: out.append(VectorSample(labels: k, value: PromMath.aggregationVariance(values)))
            case .stddev: out.append(VectorSample(labels: k, value: PromMath.aggregationVariance(values).squareRoot()))
            case .quantile: out.append(VectorSample(labels: k, value: PromMath.quantile(param, values)))
            case .topk, .bottomk:
                let kCount = param >= Double(members.count) ? members.count : Int(param)
                let top = a.op == .topk
                // NaN sorts last either way; the sort is stable so ties keep input order.
                let sorted = members.enumerated().sorted { x, y in
                    let a = x.element.value, b = y.element.value
                    if a.isNaN != b.isNaN { return !a.isNaN }
                    if a != b, !a.isNaN { return top ? a > b : a < b }
                    return x.offset < y.offset
                }.map(\.element)
                for s in sorted.prefix(kCount) {
                    out.append(VectorSample(labels: s.labels, value: s.value))
                }
            case .countValues:
                continue
            }
        }
        return .vector(out)
    }

    /// Prometheus' `maxInt64` bound for topk/bottomk's k: the largest float64 below 2^63.
    static let maxInt64: Double = 9_223_372_036_854_774_784

    /// `count_values`: the value (Go's FormatFloat(v, 'f', -1, 64)) is set as the label first,
    /// then samples are grouped, with the label added to `by` (`without` may remove it again).
    static func countValues(_ input: [VectorSample], label: String, grouping: Set<String>, without: Bool) -> [VectorSample] {
        let keep = grouping.union([label])
        let drop = grouping.union(["__name__"])
        var order: [LabelSet] = []
        var counts: [LabelSet: Double] = [:]
        for s in input {
            let metric = s.labels.setting(label, PromMath.formatFloat(s.value))
            let key = without ? metric.removing(drop) : metric.keeping(keep)
            if counts[key] == nil { order.append(key) }
            counts[key, default: 0] += 1
        }
        return order.map { VectorSample(labels: $0, value: counts[$0] ?? 0) }
    }
}
