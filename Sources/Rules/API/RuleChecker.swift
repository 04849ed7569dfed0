import VigilCore

/// `check-rules`: validates rule files like `promtool check rules` and reports in its shape.
public enum RuleChecker {
    public struct Report: Sendable {
        public var text: String
        public var passed: Bool
    }

    public static func check(paths: [String]) -> Report {
        var text = ""
        var passed = true
        for path in paths {
            text += "Checking \(path)\n"
            do {
                let file = try RuleFile.load(path: path)
                let count = file.groups.reduce(0) { $0 + $1.rules.count }
                text += "  SUCCESS: \(count) rules found\n"
                for warning in warnings(file) { text += "  WARNING: \(warning)\n" }
            } catch {
                passed = false
                text += "  FAILED:\n\(error)\n"
            }
            text += "\n"
        }
        return Report(text: text, passed: passed)
    }

    /// Rules sharing a name and label set within a group, as promtool warns about.
    static func warnings(_ file: RuleFile) -> [String] {
        var out: [String] = []
        for g in file.groups {
            var seen: Set<String> = []
            for r in g.rules {
                let labels: [Label]
                switch r {
                case .alerting(let a): labels = a.labels
                case .recording(let rr): labels = rr.labels
                }
                let key = r.name + "|" + labels.map { "\($0.name)=\($0.value)" }.sorted().joined(separator: ",")
                if !seen.insert(key).inserted {
                    out.append("group \(PromQLString.quote(g.name)): rule \(PromQLString.quote(r.name)) is defined more than once with the same labels")
                }
            }
        }
        return out
    }

    /// The history retention (ms) the loaded groups need: longest range + offset + look-back.
    public static func retentionNeeded(_ groups: [RuleGroup], lookbackDelta: Int64 = PromQL.lookbackDelta) -> Int64 {
        groups.map { $0.retentionNeeded(lookbackDelta: lookbackDelta) }.max() ?? lookbackDelta
    }
}
