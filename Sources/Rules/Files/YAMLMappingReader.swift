import VigilCore
import Yams

/// Rule files and rule test files are read with VigilCore's strict reader, taken literally
/// (no `${VAR}` expansion: Prometheus does not expand rule files either).
typealias YAMLMappingReader = StrictYAMLReader

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

    /// A Prometheus duration (`5m`, `1h30m`, `0s`) in milliseconds.
    func duration(_ key: String) throws(PositionedError) -> Int64? {
        guard let text = try string(key) else { return nil }
        guard let seconds = PromDurationParser.parse(text), seconds <= PromDurationParser.maxSeconds else {
            throw error(value(key), childPath(key), "invalid duration \(PromQLString.quote(text))")
        }
        return Int64((seconds * 1000).rounded())
    }
}
