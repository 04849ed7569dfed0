import VigilCore

extension Expr: CustomStringConvertible {
    /// A canonical rendering: binary expressions fully parenthesised, durations in Prometheus'
    /// notation. Parsing the rendering gives the same tree (modulo parentheses).
    public var description: String {
        switch self {
        case .number(let v): return Self.formatNumber(v)
        case .string(let s): return PromQLString.quote(s)
        case .vectorSelector(let s): return s.description
        case .matrixSelector(var s, let range):
            let offset = s.offset, at = s.at
            let offsetExpr = s.offsetExpr, rangeExpr = s.rangeExpr
            s.offset = 0
            s.at = nil
            s.offsetExpr = nil
            s.rangeExpr = nil
            return "\(s)[\(rangeExpr.map(\.description) ?? Self.duration(range))]" + Self.modifiers(offset, at, offsetExpr)
        case .subquery(let s):
            let range = s.rangeExpr.map(\.description) ?? Self.duration(s.range)
            let step = s.stepExpr.map(\.description) ?? (s.step > 0 ? Self.duration(s.step) : "")
            return "\(s.expr)[\(range):\(step)]" + Self.modifiers(s.offset, s.at, s.offsetExpr)
        case .paren(let e): return "(\(e))"
        case .unaryMinus(let e): return "-\(e)"
        case .binary(let b):
            var op = b.op.rawValue
            if b.returnBool { op += " bool" }
            if let m = b.matching {
                if m.on || !m.labels.isEmpty {
                    op += " \(m.on ? "on" : "ignoring")(\(m.labels.joined(separator: ", ")))"
                }
                switch m.cardinality {
                case .manyToOne: op += " group_left(\(m.include.joined(separator: ", ")))"
                case .oneToMany: op += " group_right(\(m.include.joined(separator: ", ")))"
                default: break
                }
            }
            return "(\(b.lhs) \(op) \(b.rhs))"
        case .aggregate(let a):
            var s = a.op.rawValue
            if a.without || !a.grouping.isEmpty {
                s += " \(a.without ? "without" : "by") (\(a.grouping.joined(separator: ", ")))"
            }
            let args = (a.param.map { ["\($0)"] } ?? []) + ["\(a.expr)"]
            return s + "(" + args.joined(separator: ", ") + ")"
        case .call(let c):
            return c.function.name + "(" + c.args.map(\.description).joined(separator: ", ") + ")"
        }
    }

    static func formatNumber(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "Inf" : "-Inf" }
        return formatValue(v)
    }

    static func duration(_ ms: Int64) -> String { PromDuration.format(Double(ms) / 1000) }

    static func modifiers(_ offset: Int64, _ at: AtModifier?, _ offsetExpr: DurationExpr? = nil) -> String {
        var s = ""
        if let offsetExpr {
            s += " offset \(offsetExpr.description)"
        } else if offset != 0 {
            s += " offset \(duration(offset))"
        }
        switch at {
        case .none: break
        case .start: s += " @ start()"
        case .end: s += " @ end()"
        case .timestamp(let t): s += " @ \(formatNumber(Double(t) / 1000))"
        }
        return s
    }
}

extension VectorSelector: CustomStringConvertible {
    public var description: String {
        let rest = matchers.filter { !($0.name == "__name__" && $0.op == .equal && $0.value == name) }
        var s = name ?? ""
        if !rest.isEmpty || name == nil { s += "{" + rest.map(\.description).joined(separator: ", ") + "}" }
        return s + Expr.modifiers(offset, at, offsetExpr)
    }
}
