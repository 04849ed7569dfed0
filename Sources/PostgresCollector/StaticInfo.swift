import VigilCore

/// `pg_static{version, short_version}`: the server's version string, value 1.
final class StaticInfo: StatCollector {
    let name = "static"

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        Self.families(versionString: server.versionString, version: server.version)
    }

    static func families(versionString: String, version: ServerVersion) -> [MetricFamily] {
        [.untyped("pg_static", "Version string as reported by postgres",
                  [Sample(["version": versionString, "short_version": version.shortVersion], 1)])]
    }
}
