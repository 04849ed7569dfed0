import VigilCore

/// A configuration error names the file, line, column and key path (VigilCore's shared
/// positioned error, as rule files use).
typealias ConfigError = PositionedError
typealias MappingReader = StrictYAMLReader
typealias YAMLContext = StrictYAMLContext

/// Durations in configuration files are Prometheus durations, in seconds.
extension StrictYAMLReader {
    func duration(_ key: String) throws(PositionedError) -> Double? { try seconds(key) }
    func positiveDuration(_ key: String) throws(PositionedError) -> Double? { try positiveSeconds(key) }
}
