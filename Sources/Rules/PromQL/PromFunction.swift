/// A PromQL function's signature: argument types (the last one repeats for variadic functions),
/// how many arguments are required and allowed, and the return type.
public struct PromFunction: Sendable, Hashable {
    public let name: String
    public let argTypes: [ValueType]
    public let minArgs: Int
    /// nil = unbounded.
    public let maxArgs: Int?
    public let returnType: ValueType

    init(_ name: String, _ argTypes: [ValueType], _ returnType: ValueType, min: Int? = nil, max: Int?? = .none) {
        self.name = name
        self.argTypes = argTypes
        self.returnType = returnType
        self.minArgs = min ?? argTypes.count
        switch max {
        case .none: self.maxArgs = argTypes.count
        case .some(let m): self.maxArgs = m
        }
    }

    public func argType(at i: Int) -> ValueType {
        i < argTypes.count ? argTypes[i] : (argTypes.last ?? .vector)
    }

    /// Functions Prometheus 3.14 has only behind `--enable-feature=promql-experimental-functions`
    /// (duration-expression helpers `step`, `range`, `min_of`, `max_of` are refused here too as
    /// calls; in ranges and offsets they are duration expressions).
    public static let experimental: Set<String> = [
        "sort_by_label", "sort_by_label_desc", "double_exponential_smoothing", "histogram_quantiles", "info",
        "mad_over_time", "ts_of_first_over_time", "ts_of_max_over_time", "ts_of_min_over_time", "ts_of_last_over_time",
        "start_timestamp", "step", "range", "min_of", "max_of", "start", "end",
    ]

    /// Experimental aggregations of Prometheus 3.14.
    public static let experimentalAggregations: Set<String> = ["limitk", "limit_ratio"]

    /// Functions Prometheus 3.0 removed, with what replaces them.
    public static let removed: [String: String] = [
        "holt_winters": "removed in Prometheus 3.0; its replacement double_exponential_smoothing needs --enable-feature=promql-experimental-functions",
    ]

    public static let all: [String: PromFunction] = {
        var f: [PromFunction] = []
        let v = ValueType.vector, m = ValueType.matrix, s = ValueType.scalar, str = ValueType.string
        for name in ["abs", "ceil", "floor", "exp", "ln", "log2", "log10", "sqrt", "sgn",
                     "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh",
                     "tan", "tanh", "deg", "rad", "timestamp", "sort", "sort_desc", "absent"] {
            f.append(PromFunction(name, [v], v))
        }
        for name in ["rate", "irate", "increase", "delta", "idelta", "deriv", "changes", "resets",
                     "avg_over_time", "min_over_time", "max_over_time", "sum_over_time",
                     "count_over_time", "last_over_time", "present_over_time", "stddev_over_time",
                     "stdvar_over_time", "absent_over_time", "first_over_time"] {
            f.append(PromFunction(name, [m], v))
        }
        for name in ["day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year"] {
            f.append(PromFunction(name, [v], v, min: 0))
        }
        f.append(PromFunction("quantile_over_time", [s, m], v))
        f.append(PromFunction("predict_linear", [m, s], v))
        f.append(PromFunction("histogram_quantile", [s, v], v))
        f.append(PromFunction("histogram_fraction", [s, s, v], v))
        // Native-histogram functions: Vigil keeps no native histograms, and over float
        // samples Prometheus answers nothing, so neither does Vigil.
        for name in ["histogram_avg", "histogram_count", "histogram_sum", "histogram_stddev", "histogram_stdvar"] {
            f.append(PromFunction(name, [v], v))
        }
        f.append(PromFunction("clamp", [v, s, s], v))
        f.append(PromFunction("clamp_min", [v, s], v))
        f.append(PromFunction("clamp_max", [v, s], v))
        f.append(PromFunction("round", [v, s], v, min: 1))
        f.append(PromFunction("label_replace", [v, str, str, str, str], v))
        f.append(PromFunction("label_join", [v, str, str, str], v, min: 3, max: .some(nil)))
        f.append(PromFunction("scalar", [v], s))
        f.append(PromFunction("vector", [s], v))
        f.append(PromFunction("time", [], s))
        f.append(PromFunction("pi", [], s))
        return Dictionary(uniqueKeysWithValues: f.map { ($0.name, $0) })
    }()
}
