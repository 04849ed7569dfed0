import Foundation
import VigilCore

/// The seed's alert shorthand:
///
///     alerts:
///       - name: "High Database Response Time"
///         condition: "query_duration_p95 > 500ms"
///         severity: "warning"
///         for: 5m            # optional
///         description: "…"   # optional
///
/// Unit literals in the condition become numbers in the base units Prometheus uses: time in
/// seconds (`500ms` → 0.5, `1s` → 1, `2m` → 120, `1h` → 3600), percentages as ratios
/// (`90%` → 0.9) and sizes in bytes with binary multiples (`1kb` → 1024, `mb`, `gb`).
enum SeedShorthand {
    static func group(_ top: StrictYAMLReader, file: String) throws(PositionedError) -> RuleGroup {
        var rules: [Rule] = []
        var names: Set<String> = []
        for item in try top.sequence("alerts") ?? [] {
            let m = try StrictYAMLReader(item.node, path: item.path, file: file)
            let name = try m.requiredString("name")
            guard names.insert(name).inserted else {
                throw m.error(m.value("name"), m.childPath("name"), "alert \(PromQLString.quote(name)) is defined twice")
            }
            let condition = try m.requiredString("condition")
            let exprText: String
            do {
                exprText = try convertUnits(condition)
            } catch {
                throw m.error(m.value("condition"), m.childPath("condition"), error.message)
            }
            let expr: Expr
            do {
                expr = try PromQL.parse(exprText)
            } catch {
                throw m.error(m.value("condition"), m.childPath("condition"), "could not parse condition \(PromQLString.quote(exprText)): \(error)")
            }
            let severity = try m.requiredString("severity")
            let hold = try m.milliseconds("for") ?? 0
            var annotations = [Label("summary", name)]
            if let d = try m.string("description") { annotations.append(Label("description", d)) }
            try m.finish()
            rules.append(.alerting(AlertingRule(name: name, expr: expr, exprText: exprText, holdDuration: hold,
                                                labels: [Label("severity", severity)], annotations: annotations,
                                                line: item.node.mark?.line ?? 0)))
        }
        let base = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        return RuleGroup(name: base.isEmpty ? "alerts" : base, file: file, rules: rules)
    }

    private static let multipliers: [(String, Double)] = [
        ("ms", 0.001), ("kb", 1024), ("mb", 1024 * 1024), ("gb", 1024 * 1024 * 1024),
        ("s", 1), ("m", 60), ("h", 3600), ("%", 0.01),
    ]

    /// Rewrites `<number><unit>` outside strings, `[...]` ranges and after `offset` into plain
    /// numbers. Durations in ranges keep their meaning (`rate(x[5m]) > 1kb`).
    static func convertUnits(_ text: String) throws(PositionedMessage) -> String {
        let chars = Array(text)
        var out = ""
        var i = 0
        var bracketDepth = 0
        var lastWord = ""
        while i < chars.count {
            let c = chars[i]
            if c == "\"" || c == "'" || c == "`" {
                var j = i + 1
                while j < chars.count, chars[j] != c { j += (chars[j] == "\\" && c != "`") ? 2 : 1 }
                let end = min(j + 1, chars.count)
                out += String(chars[i..<end])
                i = end
                continue
            }
            if c == "[" { bracketDepth += 1 }
            if c == "]" { bracketDepth -= 1 }
            let prevIsIdent = i > 0 && (chars[i - 1].isLetter || chars[i - 1].isNumber || chars[i - 1] == "_" || chars[i - 1] == ":" || chars[i - 1] == ".")
            if (c.isNumber || (c == "." && i + 1 < chars.count && chars[i + 1].isNumber)), !prevIsIdent, bracketDepth == 0, lastWord != "offset" {
                var j = i
                while j < chars.count, chars[j].isNumber || chars[j] == "." { j += 1 }
                let number = String(chars[i..<j])
                var unitEnd = j
                while unitEnd < chars.count, chars[unitEnd].isLetter || chars[unitEnd] == "%" { unitEnd += 1 }
                let unit = String(chars[j..<unitEnd]).lowercased()
                if unit.isEmpty || unit == "e" || unit.hasPrefix("e") && Double(number + unit) != nil {
                    out += number
                    i = j
                    continue
                }
                guard let mult = multipliers.first(where: { $0.0 == unit })?.1, let v = Double(number) else {
                    throw PositionedMessage(offset: i, message: "unknown unit \"\(unit)\" in \(PromQLString.quote(number + unit)) (known: ms s m h % kb mb gb)")
                }
                out += Self.format(v * mult)
                i = unitEnd
                lastWord = ""
                continue
            }
            if c.isLetter || c == "_" {
                var j = i
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" || chars[j] == ":" { j += 1 }
                lastWord = String(chars[i..<j]).lowercased()
                out += String(chars[i..<j])
                i = j
                continue
            }
            if !c.isWhitespace { lastWord = "" }
            out.append(c)
            i += 1
        }
        return out
    }

    static func format(_ v: Double) -> String {
        // Round away binary noise from unit multiplication (0.9000000000000001 → 0.9).
        let r = (v * 1e12).rounded() / 1e12
        return formatValue(abs(r - v) < 1e-9 * max(1, abs(v)) ? r : v)
    }
}
