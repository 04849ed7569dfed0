import Foundation
public import VigilCore
import Yams

/// A loaded rule file: Prometheus' format (`groups:`) or the seed's shorthand (`alerts:`).
/// Validation is as strict as Prometheus': unknown fields, duplicate group names, bad names,
/// unparsable expressions and templates are errors naming the file, line and field.
public struct RuleFile: Sendable, Hashable {
    public var path: String
    public var groups: [RuleGroup]
    /// True when the file used the seed's `alerts:` shorthand.
    public var isShorthand: Bool

    public static func load(path: String) throws(PositionedError) -> RuleFile {
        try parse(text: StrictYAMLContext.readText(path: path), file: path)
    }

    /// The files named by `patterns` (as listed under `rule_files:`; `*`, `?` and `[…]` in the
    /// file-name part), relative paths resolved against `baseDirectory`. A pattern without
    /// wildcards names one file whether or not it exists (loading reports a missing file).
    public static func expand(patterns: [String], baseDirectory: String) -> [String] {
        var out: [String] = []
        for pattern in patterns {
            let full = pattern.hasPrefix("/") || baseDirectory.isEmpty ? pattern : "\(baseDirectory)/\(pattern)"
            for f in glob(full) where !out.contains(f) { out.append(f) }
        }
        return out
    }

    /// The patterns with wildcards that name no file, resolved as `expand` resolves them (a
    /// pattern without wildcards is reported by loading instead, as a missing file). A run
    /// that loads no rules says where it looked.
    public static func unmatched(patterns: [String], baseDirectory: String) -> [String] {
        patterns.map { $0.hasPrefix("/") || baseDirectory.isEmpty ? $0 : "\(baseDirectory)/\($0)" }
            .filter { glob($0).isEmpty }
    }

    /// Loads every file the patterns name, in order; the first invalid file fails the whole
    /// load (a reload that fails keeps the old rules). Files using the seed shorthand load too.
    public static func loadGroups(patterns: [String], baseDirectory: String) throws(PositionedError) -> [RuleGroup] {
        var groups: [RuleGroup] = []
        for path in expand(patterns: patterns, baseDirectory: baseDirectory) {
            groups += try load(path: path).groups
        }
        return groups
    }

    static func glob(_ pattern: String) -> [String] {
        guard pattern.contains("*") || pattern.contains("?") || pattern.contains("[") else { return [pattern] }
        let dir = (pattern as NSString).deletingLastPathComponent
        let namePattern = (pattern as NSString).lastPathComponent
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "." : dir) else { return [] }
        return names.filter { !$0.hasPrefix(".") && fnmatch(namePattern, $0, 0) == 0 }.sorted().map { dir.isEmpty ? $0 : "\(dir)/\($0)" }
    }

    public static func parse(text: String, file: String) throws(PositionedError) -> RuleFile {
        guard let root = try StrictYAMLReader.root(text: text, file: file) else {
            return RuleFile(path: file, groups: [], isShorthand: false)
        }
        let top = try StrictYAMLReader(root, path: "", file: file)
        if top.keys.contains("alerts"), !top.keys.contains("groups") {
            let group = try SeedShorthand.group(top, file: file)
            try top.finish()
            return RuleFile(path: file, groups: [group], isShorthand: true)
        }
        var groups: [RuleGroup] = []
        var names: Set<String> = []
        for item in try top.sequence("groups") ?? [] {
            let g = try StrictYAMLReader(item.node, path: item.path, file: file)
            let name = try g.requiredString("name")
            guard names.insert(name).inserted else {
                throw g.error(g.value("name"), g.childPath("name"), "groupname: \(PromQLString.quote(name)) is repeated in the same file")
            }
            let interval = try g.milliseconds("interval", range: 0...RuleFileLimits.interval.upperBound)
            if let interval, !RuleFileLimits.interval.contains(interval) {
                throw g.error(g.value("interval"), g.childPath("interval"), "interval must be greater than 0")
            }
            let queryOffset = try g.milliseconds("query_offset") ?? 0
            let limit = try g.int("limit", range: RuleFileLimits.limit) ?? 0
            let labels = try labelList(g, "labels", kind: "label")
            var rules: [Rule] = []
            for r in try g.sequence("rules") ?? [] {
                rules.append(try rule(r.node, path: r.path, file: file))
            }
            try g.finish()
            groups.append(RuleGroup(name: name, file: file, interval: interval, queryOffset: queryOffset,
                                    limit: limit, labels: labels, rules: rules))
        }
        try top.finish()
        return RuleFile(path: file, groups: groups, isShorthand: false)
    }

    static func labelList(_ m: StrictYAMLReader, _ key: String, kind: String) throws(PositionedError) -> [Label] {
        var out: [Label] = []
        for (k, v, node) in try m.stringMap(key) ?? [] {
            guard Parser.isValidLabelName(k), !(kind == "label" && k == "__name__") else {
                throw m.error(node, "\(m.childPath(key)).\(k)", "invalid \(kind) name: \(k)")
            }
            out.append(Label(k, v))
        }
        return out
    }

    static func isValidMetricName(_ s: String) -> Bool {
        guard let first = s.utf8.first, Lexer.isAlpha(first) || first == UInt8(ascii: ":") else { return false }
        return s.utf8.allSatisfy { Lexer.isAlphaNumeric($0) || $0 == UInt8(ascii: ":") }
    }

    static func parseExpr(_ text: String, _ m: StrictYAMLReader) throws(PositionedError) -> Expr {
        do {
            return try PromQL.parse(text)
        } catch {
            throw m.error(m.value("expr"), m.childPath("expr"), "could not parse expression: \(error)")
        }
    }

    static func rule(_ node: Node, path: String, file: String) throws(PositionedError) -> Rule {
        let m = try StrictYAMLReader(node, path: path, file: file)
        let record = try m.string("record")
        let alert = try m.string("alert")
        let line = node.mark?.line ?? 0
        guard let exprText = try m.string("expr"), !exprText.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw m.error(m.keyNode("expr") ?? node, m.childPath("expr"), "field 'expr' must be set in rule")
        }
        let expr = try parseExpr(exprText, m)
        let labels = try labelList(m, "labels", kind: "label")
        switch (record, alert) {
        case (nil, nil), ("", ""), ("", nil), (nil, ""):
            throw m.error(node, path, "one of 'record' or 'alert' must be set")
        case (.some(let r), .some(let a)) where !r.isEmpty && !a.isEmpty:
            throw m.error(m.keyNode("alert"), path, "only one of 'record' and 'alert' must be set")
        case (.some(let r), _) where !r.isEmpty:
            for key in ["for", "keep_firing_for", "annotations"] where m.value(key) != nil {
                throw m.error(m.keyNode(key), m.childPath(key), "invalid field '\(key)' in recording rule")
            }
            guard isValidMetricName(r) else {
                throw m.error(m.value("record"), m.childPath("record"), "invalid recording rule name: \(r)")
            }
            try m.finish()
            return .recording(RecordingRule(name: r, expr: expr, exprText: exprText, labels: labels, line: line))
        default:
            // Prometheus accepts any non-empty alert name (it is a label value).
            let a = alert ?? ""
            let hold = try m.milliseconds("for") ?? 0
            let keep = try m.milliseconds("keep_firing_for") ?? 0
            let annotations = try labelList(m, "annotations", kind: "annotation")
            for l in labels + annotations {
                do { _ = try Template(l.value) } catch {
                    let key = labels.contains(l) ? "labels" : "annotations"
                    throw m.error(m.value(key), "\(m.childPath(key)).\(l.name)", "invalid template: \(error)")
                }
            }
            try m.finish()
            return .alerting(AlertingRule(name: a, expr: expr, exprText: exprText, holdDuration: hold, keepFiringFor: keep,
                                          labels: labels, annotations: annotations, line: line))
        }
    }
}
