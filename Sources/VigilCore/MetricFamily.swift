/// The type of a metric family, as the text format 0.0.4 names it.
public enum MetricType: String, Sendable, Hashable {
    case counter, gauge, histogram, summary, untyped
}

/// One sample line. `suffix` is "" for plain samples and `_bucket`, `_sum`, `_count` for the
/// parts of a histogram or summary.
public struct Sample: Hashable, Sendable {
    public var suffix: String
    public var labels: Labels
    public var value: Double

    public init(_ labels: Labels = Labels(), _ value: Double, suffix: String = "") {
        self.suffix = suffix
        self.labels = labels
        self.value = value
    }
}

/// A metric family: one name, one HELP, one TYPE and its samples.
public struct MetricFamily: Hashable, Sendable {
    public var name: String
    public var help: String
    public var type: MetricType
    /// Changing the samples forgets that they were known to be distinct series.
    public var samples: [Sample] { didSet { seriesAreDistinct = false } }
    /// Set by `FamilyBuilder`, which admits each series once: merging needs no duplicate check.
    /// Not part of equality.
    var seriesAreDistinct = false

    public static func == (a: MetricFamily, b: MetricFamily) -> Bool {
        a.name == b.name && a.help == b.help && a.type == b.type && a.samples == b.samples
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(help)
        hasher.combine(type)
        hasher.combine(samples)
    }

    public init(name: String, help: String, type: MetricType, samples: [Sample] = []) {
        self.name = name
        self.help = help
        self.type = type
        self.samples = samples
    }

    public static func gauge(_ name: String, _ help: String, _ samples: [Sample]) -> MetricFamily {
        MetricFamily(name: name, help: help, type: .gauge, samples: samples)
    }

    public static func gauge(_ name: String, _ help: String, value: Double, labels: Labels = Labels()) -> MetricFamily {
        MetricFamily(name: name, help: help, type: .gauge, samples: [Sample(labels, value)])
    }

    public static func counter(_ name: String, _ help: String, _ samples: [Sample]) -> MetricFamily {
        MetricFamily(name: name, help: help, type: .counter, samples: samples)
    }

    public static func untyped(_ name: String, _ help: String, _ samples: [Sample]) -> MetricFamily {
        MetricFamily(name: name, help: help, type: .untyped, samples: samples)
    }

    /// A histogram from cumulative bucket counts. `buckets` holds (upper bound, cumulative count)
    /// in ascending order; the `+Inf` bucket is added from `count` when missing.
    public static func histogram(
        _ name: String, _ help: String,
        series: [(labels: Labels, buckets: [(Double, Double)], sum: Double, count: Double)]
    ) -> MetricFamily {
        var samples: [Sample] = []
        for s in series {
            for (le, c) in s.buckets where le.isFinite {
                samples.append(Sample(s.labels.appending("le", formatValue(le)), c, suffix: "_bucket"))
            }
            samples.append(Sample(s.labels.appending("le", "+Inf"), s.count, suffix: "_bucket"))
            samples.append(Sample(s.labels, s.sum, suffix: "_sum"))
            samples.append(Sample(s.labels, s.count, suffix: "_count"))
        }
        return MetricFamily(name: name, help: help, type: .histogram, samples: samples)
    }
}

/// Formats a sample value the way Prometheus clients do: integers without a fraction,
/// otherwise the shortest representation that round-trips; NaN and infinities spelled out.
public func formatValue(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v == .infinity { return "+Inf" }
    if v == -.infinity { return "-Inf" }
    if v == v.rounded(), abs(v) < 1e15 {
        return String(Int64(v))
    }
    return "\(v)"
}
