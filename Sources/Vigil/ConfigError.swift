import VigilCore

/// A configuration error names the file, line, column and key path (VigilCore's shared
/// positioned error, as rule files use).
typealias ConfigError = PositionedError
typealias MappingReader = StrictYAMLReader
typealias YAMLContext = StrictYAMLContext

/// Ranges of the configuration's durations (seconds) and numbers, one place for all of them;
/// README.md's configuration section lists the same.
enum ConfigLimits {
    static let collectInterval: ClosedRange<Double> = 0.1...86_400          // 100ms … 1d
    static let collectTimeout: ClosedRange<Double> = 0.001...86_400         // 1ms … the interval
    static let evaluationInterval: ClosedRange<Double> = 0.1...86_400       // 100ms … 1d
    static let connectionTimeout: ClosedRange<Double> = 1...3600            // 1s … 1h
    static let maxConnections: ClosedRange<Int> = 1...65535
    static let connectTimeout: ClosedRange<Double> = 0.01...600             // 10ms … 10m
    static let commandTimeout: ClosedRange<Double> = 0.01...600             // 10ms … 10m
    static let serverTimeout: ClosedRange<Double> = 0...3600                // 0 (none) … 1h
    static let reconnectBackoff: ClosedRange<Double> = 0.001...86_400       // 1ms … 1d
    static let scanInterval: ClosedRange<Double> = 1...604_800              // 1s … 1w
    static let scanTimePerCycle: ClosedRange<Double> = 0.001...60           // 1ms … 1m
    static let statementsTopN: ClosedRange<Int> = 1...100_000
    static let tableSeriesCap: ClosedRange<Int> = 0...1_000_000
    static let latencyBucketCount = 100
    static let latencyBucketBound: ClosedRange<Double> = 0.000_001...31_536_000   // 1µs … 1y, in seconds
    static let redisDatabase: ClosedRange<Int> = 0...10_000
    static let bullmqMaxQueues: ClosedRange<Int> = 1...100_000
    static let scanKeysPerSecond: ClosedRange<Int> = 1...10_000_000
    static let scanCount: ClosedRange<Int> = 1...1_000_000
}
