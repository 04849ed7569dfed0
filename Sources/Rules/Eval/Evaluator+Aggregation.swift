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
        let groupingSet = Set(a.grouping)
        func groupKey(_ ls: LabelSet) -> LabelSet {
            a.without ? ls.removing(groupingSet.union(["__name__"])) : ls.keeping(groupingSet)
        }
        // Groups in first-seen order.
        var order: [LabelSet] = []
        var groups: [LabelSet: [VectorSample]] = [:]
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
                guard !param.isNaN, param >= 1 else { continue }
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
                var counts: [String: Double] = [:]
                var valueOrder: [String] = []
                for v in values {
                    let text = PromMath.formatFloat(v)
                    if counts[text] == nil { valueOrder.append(text) }
                    counts[text, default: 0] += 1
                }
                for text in valueOrder {
                    out.append(VectorSample(labels: k.setting(label, text), value: counts[text] ?? 0))
                }
            }
        }
        return .vector(out)
    }
}
