public import VigilCore

/// `postgres: {targets: [...]}`: one PostgreSQL server per target.
public struct PostgresTargetKind: TargetKind {
    public let section = "postgres"

    public init() {}

    public func read(_ top: StrictYAMLReader, defaults: TargetDefaults) throws(PositionedError) -> [ConfiguredTarget] {
        let items = try TargetList.read(top, section: section, defaults: defaults, options: PostgresCollectorOptions.read)
        return items.map { target($0.name, $0.options, interval: $0.interval, timeout: $0.timeout, count: items.count) }
    }

    public func render(_ targets: [ConfiguredTarget]) -> [String] { TargetList.render(section: section, targets) }

    /// One configured target (also for the embedded default built from the environment).
    public func target(_ name: String, _ options: PostgresCollectorOptions, interval: Double, timeout: Double, count: Int) -> ConfiguredTarget {
        ConfiguredTarget(kind: section, name: name, interval: interval, timeout: timeout,
                         labels: TargetList.serverLabel(name, count: count), rendered: options.renderedLines, options: options,
                         files: options.filesRead) { logger in
            PostgresCollector(options: options, logger: logger)
        }
    }
}

extension PostgresCollectorOptions {
    /// Files the collector reads by itself: the queries file, and the files libpq reads at every
    /// (re)connect (`PostgresCollector.filesReadAtConnect`), so a reload after one of them
    /// changed restarts the target.
    var filesRead: [String] {
        (queriesFile.map { [$0] } ?? []) + PostgresCollector.filesReadAtConnect(dsn: dsn)
    }
}
