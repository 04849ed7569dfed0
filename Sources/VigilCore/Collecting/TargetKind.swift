public import Logging

/// One kind of target — PostgreSQL, Redis, scrape jobs, probes, backups — as a seam: the
/// top-level configuration section it owns, how it reads that section with the strict reader,
/// how it renders what it read for `check-config` (secrets redacted), and how each target
/// becomes a collector. The configuration, `check-config` and the scheduler wiring are one loop
/// over the registered kinds; adding a kind touches its own target and the registry only.
public protocol TargetKind: Sendable {
    /// The top-level key it owns: `postgres`, `redis`, `scrape_configs`, `probes`, `backups`.
    var section: String { get }
    /// Reads the section under `top` (absent: no targets). Every error is positioned.
    func read(_ top: StrictYAMLReader, defaults: TargetDefaults) throws(PositionedError) -> [ConfiguredTarget]
    /// `check-config`'s lines for the whole section, from what `read` returned (secrets redacted).
    func render(_ targets: [ConfiguredTarget]) -> [String]
}

/// What every kind is told when it reads its section: the global schedule.
public struct TargetDefaults: Sendable {
    /// Seconds between cycles of a target without its own interval.
    public var collectInterval: Double
    /// Seconds a cycle may take, when set globally (else two thirds of the target's interval).
    public var collectTimeout: Double?
    /// Version string for client names (`vigil/<version>`).
    public var version: String

    public init(collectInterval: Double, collectTimeout: Double? = nil, version: String = "") {
        self.collectInterval = collectInterval
        self.collectTimeout = collectTimeout
        self.version = version
    }

    /// The interval of a target with `own` (or none).
    public func interval(_ own: Double?) -> Double { own ?? collectInterval }

    /// The timeout of a target with `interval` and `own` (or none): its own, else the global
    /// one capped at the interval, else two thirds of the interval.
    public func timeout(interval: Double, own: Double?) -> Double {
        own ?? collectTimeout.map { min($0, interval) } ?? interval * 2 / 3
    }
}

/// One configured target of some kind, ready to be scheduled.
public struct ConfiguredTarget: Sendable {
    /// The kind's section (`postgres`, …); with `name`, unique in a configuration.
    public var kind: String
    public var name: String
    public var interval: Double
    public var timeout: Double
    /// Labels put on every series of the target (`server` when a kind has several targets,
    /// `job`/`instance` for scraped ones).
    public var labels: [Label]
    /// The target's options as `check-config` shows them: YAML lines (indented for the list
    /// item that starts with `- name:`), every secret redacted.
    public var rendered: [String]
    /// The options themselves, for tests and for kinds that need to look at them again.
    public var options: any Sendable
    /// Every option the collector is built from, as one comparable value (secrets included).
    public var settings: TargetSettings
    /// Files the collector reads by itself (a password file, TLS files of a kept connection, a
    /// queries file), fingerprinted when the configuration was read.
    public var files: [FileFingerprint]
    private let make: @Sendable (Logger) throws -> any Collector

    /// `settings` must hold everything `makeCollector` depends on beyond the schedule and
    /// labels: a reload keeps a running target whose identity is unchanged.
    public init(kind: String, name: String, interval: Double, timeout: Double, labels: [Label] = [],
                rendered: [String], options: any Sendable & Hashable, files: [String] = [],
                makeCollector: @escaping @Sendable (Logger) throws -> any Collector) {
        self.kind = kind
        self.name = name
        self.interval = interval
        self.timeout = timeout
        self.labels = labels
        self.rendered = rendered
        self.options = options
        self.settings = TargetSettings(options)
        self.files = files.map(FileFingerprint.read)
        self.make = makeCollector
    }

    /// The target's identity under its collector's kind (`postgres`, …, as `TargetSpec.sourceKey`).
    public func identity(collectorKind: String) -> TargetIdentity {
        TargetIdentity(kind: collectorKind, name: name, interval: interval, timeout: timeout, labels: labels,
                       settings: settings, files: files)
    }

    /// A new collector for this target (a reload builds new ones).
    public func makeCollector(logger: Logger) throws -> any Collector { try make(logger) }

    /// The scheduler's view of the target.
    public func spec(logger: Logger) throws -> TargetSpec {
        var log = logger
        log[metadataKey: "target"] = "\(name)"
        let collector = try makeCollector(logger: log)
        return TargetSpec(name: name, interval: interval, timeout: timeout, collector: collector, extraLabels: labels,
                          identity: identity(collectorKind: collector.kind))
    }
}
