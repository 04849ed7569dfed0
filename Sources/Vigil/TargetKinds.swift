import AppCollector
import VigilCore

extension VigilConfig {
    /// Every kind of target the configuration knows, in the order `check-config` shows them.
    /// A new kind is one entry here and its own target (see docs/architecture.md, "Adding a
    /// kind of target").
    static let kinds: [any TargetKind] = [ProbeKind(), BackupKind()]
}
