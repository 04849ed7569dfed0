public import VigilCore

/// `redis: {targets: [...]}`: one Redis server per target.
public struct RedisTargetKind: TargetKind {
    public let section = "redis"
    /// Vigil's version, sent in the client name.
    public let version: String

    public init(version: String) { self.version = version }

    public func read(_ top: StrictYAMLReader, defaults: TargetDefaults) throws(PositionedError) -> [ConfiguredTarget] {
        let items = try TargetList.read(top, section: section, defaults: defaults) { (t) throws(PositionedError) in
            try RedisCollectorOptions.read(t, version: version)
        }
        return items.map { target($0.name, $0.options, interval: $0.interval, timeout: $0.timeout, count: items.count) }
    }

    public func render(_ targets: [ConfiguredTarget]) -> [String] { TargetList.render(section: section, targets) }

    /// One configured target (also for the embedded default built from the environment).
    public func target(_ name: String, _ options: RedisCollectorOptions, interval: Double, timeout: Double, count: Int) -> ConfiguredTarget {
        ConfiguredTarget(kind: section, name: name, interval: interval, timeout: timeout,
                         labels: TargetList.serverLabel(name, count: count), rendered: options.renderedLines, options: options, files: options.filesReadAtConnect) { logger in
            try RedisCollector(options: options, logger: logger)
        }
    }
}

extension RedisCollectorOptions {
    /// Files read at every (re)connect: a kept connection was made with their old contents, so
    /// a reload after they change reconnects.
    var filesReadAtConnect: [String] {
        [passwordFile, tls?.caFile, tls?.certFile, tls?.keyFile].compactMap { $0 }
    }
}
