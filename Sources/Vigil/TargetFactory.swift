import Logging
import VigilCore

/// Turns a configuration into scheduled targets.
enum TargetFactory {
    static func targets(for config: VigilConfig, reloads: ReloadCounters, notify: NotifyService, logger: Logger) -> [TargetSpec] {
        let selfInterval = config.global.collectInterval
        let selfTimeout = config.timeout(interval: selfInterval, own: nil)
        var specs = [TargetSpec(name: "vigil", interval: selfInterval, timeout: selfTimeout,
                                collector: SelfCollector(reloads: reloads))]
        if config.alerting != nil {
            specs.append(TargetSpec(name: "notifier", interval: selfInterval, timeout: selfTimeout,
                                    collector: NotifyCollector(service: notify)))
        }
        specs += CollectorWiring.postgres(config, logger: logger)
        specs += CollectorWiring.redis(config, logger: logger)
        for t in config.targets {
            do {
                specs.append(try t.spec(logger: logger))
            } catch {
                logger.error("target not started", metadata: ["kind": "\(t.kind)", "target": "\(t.name)", "error": "\(error)"])
            }
        }
        return specs
    }

    /// The `server` label, only when more than one target of a kind is configured.
    static func serverLabel(_ name: String, count: Int) -> [Label] {
        count > 1 ? [Label("server", name)] : []
    }
}
