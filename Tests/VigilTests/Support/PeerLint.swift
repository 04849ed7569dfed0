/// Splits `promtool check metrics` output into findings about Vigil's own families and
/// findings about families that keep a peer exporter's historical name. Peer families may be
/// flagged only with what promtool flags on the peer's own output; those are checked by the
/// PostgreSQL and Redis comparison tests, so here only Vigil's own families must be clean.
enum PeerLint {
    /// Prefixes of families Vigil names itself.
    static let ownPrefixes = ["vigil_", "process_"]

    static func ownFindings(_ output: String) -> [String] {
        output.split(separator: "\n").map(String.init).filter { line in
            ownPrefixes.contains { line.hasPrefix($0) } || line.lowercased().contains("error")
        }
    }
}
