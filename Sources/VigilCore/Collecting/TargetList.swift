/// The shape PostgreSQL and Redis share: `<section>: {targets: [{name, collect_interval,
/// collect_timeout, …the kind's own keys}]}`, read and rendered the same way for both.
public enum TargetList {
    /// Ranges every target's schedule is checked against (README, "Configuration").
    public static let collectInterval: ClosedRange<Double> = 0.1...86_400   // 100ms … 1d
    public static let collectTimeout: ClosedRange<Double> = 0.001...86_400  // 1ms … the interval

    /// One item of the list, read.
    public struct Item<Options: Sendable>: Sendable {
        public var name: String
        public var options: Options
        public var interval: Double
        public var timeout: Double
    }

    /// Reads `top[section].targets`: unique names of letters, digits, `_`, `-` and `.`; each
    /// target's interval and timeout (the timeout never above the interval); the kind's own
    /// keys through `options`; no unknown key anywhere.
    public static func read<Options: Sendable>(
        _ top: StrictYAMLReader, section: String, defaults: TargetDefaults,
        options: (StrictYAMLReader) throws(PositionedError) -> Options
    ) throws(PositionedError) -> [Item<Options>] {
        guard let s = try top.mapping(section) else { return [] }
        var names: Set<String> = []
        var out: [Item<Options>] = []
        for entry in try s.sequence("targets") ?? [] {
            let t = try StrictYAMLReader(entry.node, path: entry.path, context: s.context)
            let name = try targetName(t, names: &names)
            let parsed = try options(t)
            let own = try t.seconds("collect_interval", range: collectInterval)
            let interval = defaults.interval(own)
            let ownTimeout = try t.seconds("collect_timeout", range: collectTimeout)
            if let ownTimeout, ownTimeout > interval {
                throw t.error("collect_timeout", "must not exceed the collect_interval (\(PromDuration.format(interval)))")
            }
            try t.finish()
            out.append(Item(name: name, options: parsed, interval: interval, timeout: defaults.timeout(interval: interval, own: ownTimeout)))
        }
        try s.finish()
        return out
    }

    /// The `server` label, only when a kind has more than one target.
    public static func serverLabel(_ name: String, count: Int) -> [Label] {
        count > 1 ? [Label("server", name)] : []
    }

    /// `check-config`'s lines for a section of this shape.
    public static func render(section: String, _ targets: [ConfiguredTarget]) -> [String] {
        var lines = ["\(section):", targets.isEmpty ? "  targets: []" : "  targets:"]
        for t in targets {
            lines.append("    - name: \(quoted(t.name))")
            lines.append("      collect_interval: \(PromDuration.format(t.interval))")
            lines.append("      collect_timeout: \(PromDuration.format(t.timeout))")
            lines += t.rendered.map { "      " + $0 }
        }
        return lines
    }

    /// `check-config`'s lines for a section that is a list of targets (`scrape_configs`,
    /// `probes`, `backups`), each with its schedule under the kind's own key names.
    public static func renderList(section: String, _ targets: [ConfiguredTarget],
                                  intervalKey: String = "interval", timeoutKey: String = "timeout") -> [String] {
        guard !targets.isEmpty else { return ["\(section): []"] }
        var lines = ["\(section):"]
        for t in targets {
            lines.append("  - name: \(quoted(t.name))")
            lines.append("    \(intervalKey): \(PromDuration.format(t.interval))")
            lines.append("    \(timeoutKey): \(PromDuration.format(t.timeout))")
            lines += t.rendered.map { "    " + $0 }
        }
        return lines
    }

    /// A string as `check-config` prints it (JSON string syntax, valid YAML).
    public static func quoted(_ s: String) -> String { VigilLogHandler.jsonString(s) }

    private static func targetName(_ t: StrictYAMLReader, names: inout Set<String>) throws(PositionedError) -> String {
        guard let name = try t.string("name") else {
            throw t.context.error(t.node, t.path, "name is required")
        }
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }) else {
            throw t.error("name", "names may hold only letters, digits, '_', '-' and '.'")
        }
        guard names.insert(name).inserted else {
            throw t.error("name", "duplicate target name \"\(name)\"")
        }
        return name
    }
}
