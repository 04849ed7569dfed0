import Foundation
import VigilCore

/// `pg_settings_*`: every bool, integer and real setting as a gauge, with units normalised
/// to seconds and bytes the way postgres_exporter does (name suffixed `_seconds`/`_bytes`).
final class Settings: StatCollector {
    let name = "settings"
    static let query = "SELECT name, setting, COALESCE(unit, '') AS unit, short_desc, vartype FROM pg_settings WHERE vartype IN ('bool', 'integer', 'real')"

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        var set = FamilyBuilder()
        for row in try sql.rows(Self.query) {
            guard let m = Self.metric(name: row.label("name"), setting: row.label("setting"), unit: row.label("unit"),
                                      shortDesc: row.label("short_desc"), vartype: row.label("vartype")) else { continue }
            set.gauge(m.name, m.value, Labels(), help: m.help)
        }
        return set.families
    }

    /// The metric for one setting, or nil when its name is not a metric name's, or its value
    /// or unit cannot be read. Pure.
    static func metric(name: String, setting: String, unit: String, shortDesc: String, vartype: String) -> (name: String, help: String, value: Double)? {
        var metric = "pg_settings_" + name.replacingOccurrences(of: ".", with: "_")
        guard CustomQueries.isMetricName(metric), !metric.contains(":") else { return nil }
        var help = shortDesc
        switch vartype {
        case "bool":
            return (metric, help, setting == "on" ? 1 : 0)
        case "integer", "real":
            guard let (value, kind) = normalise(setting: setting, unit: unit) else { return nil }
            if !kind.isEmpty {
                metric += "_" + kind
                help += " [Units converted to \(kind).]"
            }
            return (metric, help, value)
        default:
            return nil
        }
    }

    /// The value in seconds or bytes and the unit name ("seconds", "bytes", or "" for none).
    /// -1 stays -1 (it means "disabled"). Nil for an unknown unit, a non-number, or a value
    /// that is not finite once converted.
    static func normalise(setting: String, unit: String) -> (Double, String)? {
        guard let v = Double(setting), v.isFinite else { return nil }
        let factor: Double
        let kind: String
        switch unit {
        case "": return (v, "")
        case "ms": (factor, kind) = (0.001, "seconds")
        case "s": (factor, kind) = (1, "seconds")
        case "min": (factor, kind) = (60, "seconds")
        case "h": (factor, kind) = (3600, "seconds")
        case "d": (factor, kind) = (86400, "seconds")
        case "B": (factor, kind) = (1, "bytes")
        case "kB": (factor, kind) = (1024, "bytes")
        case "MB": (factor, kind) = (1024 * 1024, "bytes")
        case "GB": (factor, kind) = (1024 * 1024 * 1024, "bytes")
        case "TB": (factor, kind) = (1024 * 1024 * 1024 * 1024, "bytes")
        case "8kB": (factor, kind) = (8192, "bytes")
        case "16kB": (factor, kind) = (16384, "bytes")
        case "32kB": (factor, kind) = (32768, "bytes")
        case "16MB": (factor, kind) = (16 * 1024 * 1024, "bytes")
        case "32MB": (factor, kind) = (32 * 1024 * 1024, "bytes")
        case "64MB": (factor, kind) = (64 * 1024 * 1024, "bytes")
        default: return nil
        }
        if v == -1 { return (v, kind) }
        guard (v * factor).isFinite else { return nil }
        return (v * factor, kind)
    }
}
