import VigilCore
import Yams

// The notifier's configuration is read with VigilCore's strict reader (`${VAR}` expanded,
// secrets from `*_file`), so it reports errors as the rest of the configuration does.

/// Ranges of the notifier section's durations (seconds) and numbers; README.md lists the same.
enum NotifyLimits {
    static let groupWait: ClosedRange<Double> = 0...86_400               // 0 … 1d
    static let groupInterval: ClosedRange<Double> = 0.001...604_800      // 1ms … 1w
    static let repeatInterval: ClosedRange<Double> = 0.001...31_536_000  // 1ms … 1y
    static let maxAge: ClosedRange<Double> = 0.001...2_592_000           // 1ms … 30d
    static let initialBackoff: ClosedRange<Double> = 0.001...3600        // 1ms … 1h
    static let maxBackoff: ClosedRange<Double> = 0.001...86_400          // 1ms … 1d
    static let concurrency: ClosedRange<Int> = 1...64
    static let timeout: ClosedRange<Double> = 0.001...600                // 1ms … 10m
    static let maxAlerts: ClosedRange<Int> = 0...100_000
}
