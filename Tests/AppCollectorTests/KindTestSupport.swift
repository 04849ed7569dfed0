import Foundation
import Logging
import Testing
import VigilCore
import Yams
@testable import AppCollector

/// Reads a kind's section from YAML text as the configuration loader does.
func readTargets(_ kind: some TargetKind, _ yaml: String, interval: Double = 15) throws -> [ConfiguredTarget] {
    guard let node = try Yams.compose(yaml: yaml) else { return [] }
    let top = try StrictYAMLReader(node, path: "", context: StrictYAMLContext(file: "test.yml"))
    return try kind.read(top, defaults: TargetDefaults(collectInterval: interval, version: "test"))
}

/// The configuration error a YAML text gives, as its message.
func configError(_ kind: some TargetKind, _ yaml: String) -> String? {
    do {
        _ = try readTargets(kind, yaml)
        return nil
    } catch {
        return "\(error)"
    }
}

/// Collects one cycle of a target, bounded by its own timeout as the scheduler bounds it.
func collectOnce(_ target: ConfiguredTarget, logger: Logger = Logger(label: "test")) throws -> [MetricFamily] {
    let collector = try target.makeCollector(logger: logger)
    return try collector.collect(CollectContext(startedAt: Date(), deadline: .now + .milliseconds(Int64(target.timeout * 1000))))
}

extension [MetricFamily] {
    func family(_ name: String) -> MetricFamily? { first { $0.name == name } }
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        family(name)?.samples.first { s in labels.allSatisfy { s.labels[$0.key] == $0.value } }?.value
    }
}
