import VigilCore

/// A configuration error names the file, line, column and key path (VigilCore's shared
/// positioned error, as rule files use).
typealias ConfigError = PositionedError
typealias MappingReader = StrictYAMLReader
typealias YAMLContext = StrictYAMLContext

/// Durations in configuration files are Prometheus durations, in seconds.
extension StrictYAMLReader {
    func duration(_ key: String) throws(PositionedError) -> Double? {
        guard let text = try string(key) else { return nil }
        guard let seconds = PromDuration.parse(text) else {
            throw error(value(key), childPath(key), "invalid duration \"\(text)\" (use e.g. 500ms, 15s, 1m30s)")
        }
        return seconds
    }

    func positiveDuration(_ key: String) throws(PositionedError) -> Double? {
        guard let d = try duration(key) else { return nil }
        guard d > 0 else { throw error(value(key), childPath(key), "must be greater than 0") }
        return d
    }
}
