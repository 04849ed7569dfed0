import VigilCore

/// Ranges of the global and web durations (seconds) and numbers; each kind of target keeps its
/// own (`PostgresLimits`, `RedisLimits`, …). README.md's configuration section lists them all.
enum ConfigLimits {
    static let collectInterval = TargetList.collectInterval                 // 100ms … 1d
    static let collectTimeout = TargetList.collectTimeout                   // 1ms … the interval
    static let evaluationInterval: ClosedRange<Double> = 0.1...86_400       // 100ms … 1d
    static let connectionTimeout: ClosedRange<Double> = 1...3600            // 1s … 1h
    static let maxConnections: ClosedRange<Int> = 1...65535
}
