import Foundation

/// Reads `promtool check metrics` findings.
///
/// Families that keep a peer exporter's name (`pg_*`, `redis_*`) may be flagged only with what
/// promtool flags on the peer's own output; the PostgreSQL and Redis comparison tests check
/// those. Every other family is Vigil's own and must be clean.
enum PeerLint {
    static let peerPrefixes = ["pg_", "redis_"]

    /// Findings about families that are not peer-named.
    static func ownFindings(_ output: String) -> [String] {
        output.split(separator: "\n").map(String.init).filter { line in
            !peerPrefixes.contains { line.hasPrefix($0) }
        }
    }

    /// promtool 2.42 parses only the text format. OpenMetrics differs from it in two spellings
    /// on metadata lines: a double quote in HELP must be written `\"` (the text parser rejects
    /// that escape), and the untyped type is called `unknown`. This undoes exactly those two on
    /// `# HELP` and `# TYPE` lines, so promtool lints everything else of an OpenMetrics body.
    static func openMetricsForPromtool(_ body: String) -> String {
        body.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            if line.hasPrefix("# HELP ") { return line.replacingOccurrences(of: "\\\"", with: "\"") }
            if line.hasPrefix("# TYPE "), line.hasSuffix(" unknown") { return line.dropLast(7) + "untyped" }
            return String(line)
        }.joined(separator: "\n")
    }

    /// Removes the findings promtool (2.42, text-format parser only) makes on any OpenMetrics
    /// body: it does not join the `x_total` samples of a counter declared as family `x`, so it
    /// reports `x_total no help text`. Only findings of exactly that shape, for a family the
    /// body really declares as `# TYPE x counter` with a `# HELP x`, are removed.
    static func withoutOpenMetricsArtifacts(_ findings: [String], body: String) -> [String] {
        let lines = Set(body.split(separator: "\n").map(String.init))
        return findings.filter { finding in
            guard finding.hasSuffix(" no help text"), let name = finding.split(separator: " ").first, name.hasSuffix("_total") else {
                return true
            }
            let family = String(name.dropLast(6))
            let declared = lines.contains("# TYPE \(family) counter") && lines.contains { $0.hasPrefix("# HELP \(family) ") }
            return !declared
        }
    }
}
