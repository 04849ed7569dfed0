public import Rules
public import VigilCore

/// One `metric_relabel_configs` entry with Prometheus' semantics: the source labels' values
/// joined by `separator` are matched against `regex` (anchored, RE2), and `action` decides.
public struct RelabelRule: Sendable, Hashable {
    public enum Action: String, Sendable, CaseIterable {
        case replace, keep, drop, labelmap, labeldrop, labelkeep, lowercase, uppercase, keepequal, dropequal
    }

    public var action: Action
    public var sourceLabels: [String]
    public var separator: String
    public var regex: AnchoredRegex
    public var targetLabel: String
    public var replacement: String

    public static let defaultRegex = "(.*)"

    public init(action: Action = .replace, sourceLabels: [String] = [], separator: String = ";", regex: String = defaultRegex,
                targetLabel: String = "", replacement: String = "$1") throws(RegexError) {
        self.action = action
        self.sourceLabels = sourceLabels
        self.separator = separator
        self.regex = try AnchoredRegex(regex)
        self.targetLabel = targetLabel
        self.replacement = replacement
    }

    /// Applies `rules` in order to `labels` (which hold `__name__`); nil when a rule drops the
    /// series. A label set to "" is removed, as in Prometheus.
    public static func process(_ labels: [Label], _ rules: [RelabelRule]) -> [Label]? {
        var set = labels
        for rule in rules {
            guard rule.apply(&set) else { return nil }
        }
        return set.filter { !$0.value.isEmpty }
    }

    private static func value(_ labels: [Label], _ name: String) -> String {
        labels.first(where: { $0.name == name })?.value ?? ""
    }

    private static func set(_ labels: inout [Label], _ name: String, _ value: String) {
        if let i = labels.firstIndex(where: { $0.name == name }) {
            if value.isEmpty { labels.remove(at: i) } else { labels[i].value = value }
        } else if !value.isEmpty {
            labels.append(Label(name, value))
        }
    }

    /// False when the series is dropped.
    func apply(_ labels: inout [Label]) -> Bool {
        let joined = sourceLabels.map { Self.value(labels, $0) }.joined(separator: separator)
        switch action {
        case .keep:
            return regex.matches(joined)
        case .drop:
            return !regex.matches(joined)
        case .keepequal:
            return joined == Self.value(labels, targetLabel)
        case .dropequal:
            return joined != Self.value(labels, targetLabel)
        case .replace:
            guard let groups = regex.captures(joined) else { return true }
            let target = Self.expand(targetLabel, groups)
            guard Self.isLabelName(target) else { return true }
            Self.set(&labels, target, Self.expand(replacement, groups))
        case .lowercase:
            Self.set(&labels, targetLabel, joined.lowercased())
        case .uppercase:
            Self.set(&labels, targetLabel, joined.uppercased())
        case .labelmap:
            var out = labels
            for l in labels {
                guard let groups = regex.captures(l.name) else { continue }
                let name = Self.expand(replacement, groups)
                if Self.isLabelName(name) { Self.set(&out, name, l.value) }
            }
            labels = out
        case .labeldrop:
            labels.removeAll { regex.matches($0.name) }
        case .labelkeep:
            labels.removeAll { !regex.matches($0.name) }
        }
        return true
    }

    /// Go's `Regexp.Expand` over a full match: `$1`, `${1}`, `$$`; a `$name` that is not a group
    /// number (`$1x` reads as the name `1x`) expands to nothing, as in Go.
    public static func expand(_ template: String, _ groups: [String]) -> String {
        guard template.contains("$") else { return template }
        let t = Array(template.utf8)
        var out: [UInt8] = []
        var i = 0
        func isWord(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95 }
        func group(_ name: [UInt8]) -> [UInt8] {
            guard let n = Int(String(decoding: name, as: UTF8.self)), name.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  n < groups.count else { return [] }
            return Array(groups[n].utf8)
        }
        while i < t.count {
            guard t[i] == 36, i + 1 < t.count else { out.append(t[i]); i += 1; continue }
            if t[i + 1] == 36 { out.append(36); i += 2; continue }
            if t[i + 1] == UInt8(ascii: "{") {
                var j = i + 2
                while j < t.count, isWord(t[j]) { j += 1 }
                if j < t.count, t[j] == UInt8(ascii: "}"), j > i + 2 {
                    out += group(Array(t[(i + 2)..<j]))
                    i = j + 1
                    continue
                }
                out.append(36); i += 1; continue
            }
            var j = i + 1
            while j < t.count, isWord(t[j]) { j += 1 }
            if j == i + 1 { out.append(36); i += 1; continue }
            out += group(Array(t[(i + 1)..<j]))
            i = j
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A legacy Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
    public static func isLabelName(_ s: String) -> Bool {
        var first = true
        for b in s.utf8 {
            let letter = (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || b == 95
            guard letter || (!first && b >= 48 && b <= 57) else { return false }
            first = false
        }
        return !first
    }
}
