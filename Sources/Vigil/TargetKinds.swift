import AppCollector
import PostgresCollector
import RedisCollector
import VigilCore

extension VigilConfig {
    /// Every kind of target the configuration knows, in the order `check-config` shows them.
    /// A new kind is one entry here and its own target (see docs/architecture.md, "Adding a
    /// kind of target").
    static let kinds: [any TargetKind] = [
        PostgresTargetKind(),
        RedisTargetKind(version: VigilVersion.current),
        ScrapeKind(),
        ProbeKind(),
        BackupKind(),
    ]

    /// The targets of one kind (`postgres`, `redis`, …).
    func targets(of section: String) -> [ConfiguredTarget] { targets.filter { $0.kind == section } }
}
