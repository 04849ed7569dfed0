import VigilCore
import Yams

/// Rule files and rule test files are read with VigilCore's strict reader, taken literally
/// (no `${VAR}` expansion: Prometheus does not expand rule files either).
extension StrictYAMLReader {
    convenience init(_ node: Node, path: String, file: String) throws(PositionedError) {
        try self.init(node, path: path, context: StrictYAMLContext(file: file))
    }

    static func error(_ file: String, _ node: Node?, _ path: String, _ message: String) -> PositionedError {
        StrictYAMLContext(file: file).error(node, path, message)
    }

    static func root(text: String, file: String) throws(PositionedError) -> Node? {
        try StrictYAMLContext(file: file).root(text)
    }

    /// A Prometheus duration (`5m`, `1h30m`, `0s`) in milliseconds, within `range` (ms). The
    /// default range is what Prometheus represents (Go's `time.Duration`, about 292 years), so
    /// time arithmetic in Int64 milliseconds never overflows.
    func milliseconds(_ key: String, range: ClosedRange<Int64> = 0...RuleFileLimits.maxDuration) throws(PositionedError) -> Int64? {
        guard let v = value(key) else { return nil }
        let text = try scalar(v, childPath(key))
        let ms: UInt64
        switch PromDuration.parseMilliseconds(text) {
        case .success(let value): ms = value
        case .failure(.outOfRange): throw error(v, childPath(key), "invalid duration \(PromQLString.quote(Self.clip(text))): duration out of range")
        case .failure(.invalid): throw error(v, childPath(key), "invalid duration \(PromQLString.quote(Self.clip(text)))")
        }
        guard ms <= UInt64(range.upperBound), Int64(ms) >= range.lowerBound else {
            let bounds = ClosedRange(uncheckedBounds: (Double(range.lowerBound) / 1000, Double(range.upperBound) / 1000))
            throw error(v, childPath(key), "\(Self.describe(bounds)), found \(PromDuration.format(Double(ms) / 1000))")
        }
        return Int64(ms)
    }
}

/// Ranges of rule files' durations (milliseconds) and numbers; README.md lists the same.
public enum RuleFileLimits {
    /// Go's `time.Duration` in whole seconds, as `PromDurationParser.maxSeconds`.
    public static let maxDuration: Int64 = 9_223_372_036_000
    /// A group's `interval`: 1ms … 1y.
    public static let interval: ClosedRange<Int64> = 1...31_536_000_000
    /// A group's `limit` (0 = none).
    public static let limit: ClosedRange<Int> = 0...Int(Int32.max)
}
