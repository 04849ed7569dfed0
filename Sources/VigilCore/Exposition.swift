/// The two exposition formats Vigil serves.
public enum ExpositionFormat: Sendable, Hashable, CaseIterable {
    /// Prometheus text format 0.0.4.
    case text
    /// OpenMetrics 1.0.0 text.
    case openMetrics

    public var contentType: String {
        switch self {
        case .text: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }
}

/// Renders metric families. Pure: the same families always give the same bytes.
///
/// Metric names are identical in both formats. In OpenMetrics a counter named `x_total` is
/// declared as family `x` (its samples keep the name `x_total`); a counter that keeps a peer
/// exporter's historical name without `_total` is declared `unknown` instead of being renamed.
public enum ExpositionRenderer {
    public static func render(_ families: [MetricFamily], format: ExpositionFormat) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(families.count * 256)
        for family in families { append(family, format: format, to: &out) }
        out.append(contentsOf: trailer(format))
        return out
    }

    /// Appends one family as `render` writes it inside a body (nothing when it has no samples).
    /// A body is its families' fragments in order followed by `trailer(format)`.
    public static func append(_ family: MetricFamily, format: ExpositionFormat, to out: inout [UInt8]) {
        guard !family.samples.isEmpty else { return }
        switch format {
        case .text: appendText(family, to: &out)
        case .openMetrics: appendOpenMetrics(family, to: &out)
        }
    }

    /// What ends a body: `# EOF` in OpenMetrics, nothing in the text format.
    public static func trailer(_ format: ExpositionFormat) -> [UInt8] {
        format == .openMetrics ? Array("# EOF\n".utf8) : []
    }

    /// The name and type an OpenMetrics body declares for `family`.
    public static func openMetricsDeclaration(of family: MetricFamily) -> (name: String, type: String) {
        switch family.type {
        case .counter:
            if family.name.hasSuffix("_total") {
                return (String(family.name.dropLast(6)), "counter")
            }
            return (family.name, "unknown")
        case .untyped: return (family.name, "unknown")
        case .gauge: return (family.name, "gauge")
        case .histogram: return (family.name, "histogram")
        case .summary: return (family.name, "summary")
        }
    }

    private static func appendText(_ f: MetricFamily, to out: inout [UInt8]) {
        out.append(contentsOf: "# HELP \(f.name) ".utf8)
        appendEscaped(f.help, quotes: false, to: &out)
        out.append(contentsOf: "\n# TYPE \(f.name) \(f.type.rawValue)\n".utf8)
        for s in f.samples { appendSample(f.name, s, to: &out) }
    }

    private static func appendOpenMetrics(_ f: MetricFamily, to out: inout [UInt8]) {
        let decl = openMetricsDeclaration(of: f)
        out.append(contentsOf: "# TYPE \(decl.name) \(decl.type)\n# HELP \(decl.name) ".utf8)
        appendEscaped(f.help, quotes: true, to: &out)
        out.append(10)
        for s in f.samples { appendSample(f.name, s, to: &out) }
    }

    private static func appendSample(_ name: String, _ s: Sample, to out: inout [UInt8]) {
        out.append(contentsOf: name.utf8)
        out.append(contentsOf: s.suffix.utf8)
        if !s.labels.isEmpty {
            out.append(UInt8(ascii: "{"))
            var first = true
            for l in s.labels {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                out.append(contentsOf: l.name.utf8)
                out.append(contentsOf: "=\"".utf8)
                appendEscaped(l.value, quotes: true, to: &out)
                out.append(UInt8(ascii: "\""))
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: formatValue(s.value).utf8)
        out.append(10)
    }

    /// Escapes backslash and newline, and double quotes when `quotes` is set.
    private static func appendEscaped(_ s: String, quotes: Bool, to out: inout [UInt8]) {
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 10: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case UInt8(ascii: "\"") where quotes: out.append(contentsOf: [92, 34])
            default: out.append(b)
            }
        }
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
