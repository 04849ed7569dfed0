import Foundation
import Logging
import Notify
import Rules
import Synchronization
import VigilCore

/// Hands the rule engine's alerts to the notifier (routing, grouping, silences, inhibition,
/// durable delivery) and swaps the notifier when the `alerting` section changes on reload.
final class NotifyService: Sendable {
    private let current = Mutex<(notifier: Notifier?, config: NotifyConfig?)>((nil, nil))
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    var notifier: Notifier? { current.withLock { $0.notifier } }

    /// Starts (or, when the section changed, replaces) the notifier for `config`. The outbox
    /// lives in the state directory, so a replaced notifier's pending messages are re-sent by
    /// the new one.
    func apply(_ config: VigilConfig) async {
        let (old, same) = current.withLock { c in (c.notifier, c.config == config.alerting) }
        if same, old != nil || config.alerting == nil { return }
        if let old {
            await old.shutdown()
            current.withLock { $0 = (nil, nil) }
        }
        guard let alerting = config.alerting else { return }
        do {
            let notifier = try Notifier(config: alerting, stateDirectory: config.global.stateDirectory,
                                        externalURL: config.global.externalURL, logger: logger)
            notifier.start()
            current.withLock { $0 = (notifier, alerting) }
            logger.info("notifier started", metadata: ["receivers": "\(alerting.receivers.map(\.name).joined(separator: ","))"])
        } catch {
            logger.error("notifier not started; alerts will not be sent", metadata: ["error": "\(error)"])
        }
    }

    func stop() async {
        let old = current.withLock { c -> Notifier? in
            defer { c = (nil, nil) }
            return c.notifier
        }
        await old?.shutdown()
    }

    /// Called after every rule evaluation.
    func receive(_ update: RuleRuntime.AlertUpdate, externalLabels: [String: String], externalURL: String) {
        guard let notifier else { return }
        let alerts = Notify.Alert.alerts(from: update, externalLabels: externalLabels, externalURL: externalURL)
        guard !alerts.isEmpty else { return }
        notifier.receive(alerts: alerts, at: update.at)
    }
}

/// The notifier's self-metrics, collected on the global interval like any target.
struct NotifyCollector: Collector {
    let kind = "notify"
    let upMetric: String? = nil
    let service: NotifyService

    func collect(_ context: CollectContext) throws -> [MetricFamily] {
        service.notifier?.metricFamilies(at: Date()) ?? []
    }
}
