import Foundation
import Rules

/// The shipped Grafana dashboards (`dashboards/*.json`) read as plain JSON, with the parts the
/// tests look at: variables, panels (those inside rows included), targets, thresholds.
struct DashboardModel {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let directory = root.appendingPathComponent("dashboards")
    static let files = ["vigil-overview.json", "vigil-postgres.json", "vigil-redis.json", "vigil-self.json"]

    struct Failure: Error, CustomStringConvertible { var description: String }

    let file: String
    let json: [String: Any]

    static func load(_ file: String) throws -> DashboardModel {
        let data = try Data(contentsOf: directory.appendingPathComponent(file))
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Failure(description: "\(file) is not a JSON object")
        }
        return DashboardModel(file: file, json: json)
    }

    static func all() throws -> [DashboardModel] { try files.map(load) }

    var title: String { json["title"] as? String ?? "" }
    var uid: String { json["uid"] as? String ?? "" }
    var topPanels: [[String: Any]] { json["panels"] as? [[String: Any]] ?? [] }
    var variables: [[String: Any]] { (json["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? [] }

    /// Rows and panels, the panels of collapsed rows included.
    var everyPanel: [[String: Any]] {
        topPanels.flatMap { p in [p] + ((p["panels"] as? [[String: Any]]) ?? []) }
    }

    /// Panels that show data (no rows).
    var dataPanels: [[String: Any]] { everyPanel.filter { $0["type"] as? String != "row" } }

    static func targets(_ panel: [String: Any]) -> [[String: Any]] { panel["targets"] as? [[String: Any]] ?? [] }
    static func title(_ panel: [String: Any]) -> String { panel["title"] as? String ?? "?" }

    static func defaults(_ panel: [String: Any]) -> [String: Any] {
        ((panel["fieldConfig"] as? [String: Any])?["defaults"] as? [String: Any]) ?? [:]
    }

    /// Threshold steps as (lower bound, colour); the first step's bound is -infinity.
    static func steps(_ panel: [String: Any]) -> [(Double, String)] {
        let list = ((defaults(panel)["thresholds"] as? [String: Any])?["steps"] as? [[String: Any]]) ?? []
        return list.map { step in
            let bound = (step["value"] as? NSNumber)?.doubleValue ?? -Double.infinity
            return (bound, step["color"] as? String ?? "")
        }
    }

    /// The colour Grafana gives `x`: the last step whose bound is at or below it.
    static func color(of x: Double, in steps: [(Double, String)]) -> String {
        steps.last { $0.0 <= x }?.1 ?? ""
    }

    /// The shipped alerts a panel's description says it is coloured by, with the comparison it
    /// names: "`Name` in rules/file.yml (severity: > 0.8)".
    static func alertReferences(_ panel: [String: Any]) -> [(alert: String, file: String, severity: String, op: String, value: Double)] {
        let text = panel["description"] as? String ?? ""
        let pattern = try! NSRegularExpression(pattern: #"`([^`]+)` in rules/([a-z0-9-]+\.yml) \((\w+): (<=|>=|==|!=|<|>) ([0-9.e+-]+)\)"#)
        return pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { m in
            func group(_ i: Int) -> String { String(text[Range(m.range(at: i), in: text)!]) }
            return (group(1), group(2), group(3), group(4), Double(group(5)) ?? .nan)
        }
    }
}

/// What a shipped alert compares against: read from the rule file by Vigil's own loader and
/// PromQL parser (the generator reads the same files with regular expressions).
struct AlertThreshold {
    var name: String
    var severity: String
    var exprText: String
    /// `(operator, number)` of every comparison with a constant right-hand side.
    var comparisons: [(BinaryOp, Double)]

    static func load(alert: String, file: String) throws -> AlertThreshold {
        let path = DashboardModel.root.appendingPathComponent("rules").appendingPathComponent(file).path
        let rules = try RuleFile.load(path: path)
        for group in rules.groups {
            for case .alerting(let rule) in group.rules where rule.name == alert {
                let severity = rule.labels.first { $0.name == "severity" }?.value ?? ""
                return AlertThreshold(name: alert, severity: severity, exprText: rule.exprText,
                                      comparisons: comparisons(in: rule.expr))
            }
        }
        throw DashboardModel.Failure(description: "rules/\(file) has no alert \(alert)")
    }

    static func comparisons(in expr: Expr) -> [(BinaryOp, Double)] {
        switch expr {
        case .binary(let b):
            var found = comparisons(in: b.lhs) + comparisons(in: b.rhs)
            if [.gtr, .lss, .gte, .lte, .eql, .neq].contains(b.op), let v = constant(b.rhs) { found.append((b.op, v)) }
            return found
        case .paren(let e), .unaryMinus(let e): return comparisons(in: e)
        case .aggregate(let a): return comparisons(in: a.expr)
        case .call(let c): return c.args.flatMap { comparisons(in: $0) }
        case .subquery(let s): return comparisons(in: s.expr)
        default: return []
        }
    }

    /// A scalar made of number literals only (`26 * 3600`), folded.
    static func constant(_ expr: Expr) -> Double? {
        switch expr {
        case .number(let v): return v
        case .paren(let e): return constant(e)
        case .unaryMinus(let e): return constant(e).map { -$0 }
        case .binary(let b):
            guard let l = constant(b.lhs), let r = constant(b.rhs) else { return nil }
            switch b.op {
            case .add: return l + r
            case .sub: return l - r
            case .mul: return l * r
            case .div: return l / r
            default: return nil
            }
        default: return nil
        }
    }

    /// Whether the comparison holds for `x`. `== 0` and `== 1` are read as on a 0/1 gauge.
    static func fires(_ op: BinaryOp, _ v: Double, at x: Double) -> Bool {
        switch op {
        case .gtr: x > v
        case .gte: x >= v
        case .lss: x < v
        case .lte: x <= v
        case .eql: v == 0 ? x < 1 : x >= v
        default: false
        }
    }

    static let colors = ["critical": "red", "warning": "orange", "info": "blue"]
    static let rank = ["info": 1, "warning": 2, "critical": 3]
}
