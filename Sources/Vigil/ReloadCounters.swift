import Foundation
import Synchronization
import VigilCore

/// Outcome of configuration reloads, exported as Prometheus names them for itself.
final class ReloadCounters: Sendable {
    private struct State {
        var lastSuccessful = true
        var lastSuccessTimestamp = Date().timeIntervalSince1970
        var failures = 0.0
    }

    private let state = Mutex(State())

    func record(success: Bool, at date: Date = Date()) {
        state.withLock {
            $0.lastSuccessful = success
            if success { $0.lastSuccessTimestamp = date.timeIntervalSince1970 } else { $0.failures += 1 }
        }
    }

    var families: [MetricFamily] {
        let s = state.withLock { $0 }
        return [
            .gauge("vigil_config_last_reload_successful", "Whether the last configuration reload attempt succeeded.",
                   value: s.lastSuccessful ? 1 : 0),
            .gauge("vigil_config_last_reload_success_timestamp_seconds", "Unix time of the last successful configuration load.",
                   value: s.lastSuccessTimestamp),
            .counter("vigil_config_reload_failures_total", "Configuration reloads that failed and kept the running configuration.",
                     [Sample(Labels(), s.failures)]),
        ]
    }
}

/// Vigil's own process: process metrics, build info and reload outcome.
struct SelfCollector: Collector {
    let kind = "process"
    let upMetric: String? = nil
    let process = ProcessCollector()
    let reloads: ReloadCounters

    func collect(_ context: CollectContext) throws -> [MetricFamily] {
        try process.collect(context) + reloads.families
    }
}
