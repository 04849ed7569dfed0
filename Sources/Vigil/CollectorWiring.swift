import Logging
import PostgresCollector
import RedisCollector
import VigilCore

/// Builds the PostgreSQL and Redis targets of a configuration.
enum CollectorWiring {
    static func postgres(_ config: VigilConfig, logger: Logger) -> [TargetSpec] {
        config.postgres.map { t in
            let interval = config.interval(t.collectInterval)
            var log = logger
            log[metadataKey: "target"] = "\(t.name)"
            return TargetSpec(
                name: t.name, interval: interval, timeout: config.timeout(interval: interval, own: t.collectTimeout),
                collector: PostgresCollector(options: t.options, logger: log),
                extraLabels: TargetFactory.serverLabel(t.name, count: config.postgres.count))
        }
    }

    /// A target whose URL the collector refuses cannot be scheduled; configuration loading
    /// validates URLs with the same parser, so this only logs what slipped through.
    static func redis(_ config: VigilConfig, logger: Logger) -> [TargetSpec] {
        config.redis.compactMap { t in
            let interval = config.interval(t.collectInterval)
            var log = logger
            log[metadataKey: "target"] = "\(t.name)"
            do {
                return TargetSpec(
                    name: t.name, interval: interval, timeout: config.timeout(interval: interval, own: t.collectTimeout),
                    collector: try RedisCollector(options: t.options, logger: log),
                    extraLabels: TargetFactory.serverLabel(t.name, count: config.redis.count))
            } catch {
                logger.error("redis target not started", metadata: ["target": "\(t.name)", "error": "\(error)"])
                return nil
            }
        }
    }
}
