import VigilCore
import Yams

/// The notifier's configuration is read with VigilCore's strict reader (`${VAR}` expanded,
/// secrets from `*_file`), so it reports errors as the rest of the configuration does.
typealias YAMLNodeReader = StrictYAMLReader
typealias YAMLSource = StrictYAMLContext

extension StrictYAMLReader {
    var source: StrictYAMLContext { context }

    func scalar(_ node: Node, path: String) throws(PositionedError) -> String { try scalar(node, path) }
    func duration(_ key: String) throws(PositionedError) -> Double? { try seconds(key) }
    func positiveDuration(_ key: String) throws(PositionedError) -> Double? { try positiveSeconds(key) }
}
