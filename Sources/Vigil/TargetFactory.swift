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
        for t in config.targets {
            do {
                specs.append(try t.spec(logger: logger))
            } catch {
                logger.error("target not started", metadata: ["kind": "\(t.kind)", "target": "\(t.name)", "error": "\(error)"])
            }
        }
        return specs
    }
}
