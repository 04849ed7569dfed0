import Foundation
import HTTPServer
import VigilCore
import Yams

/// Vigil's configuration: one YAML file, or the embedded default built from the environment.
/// Every key is documented in README.md; `examples/vigil.yml` shows all of them.
struct VigilConfig: Sendable {
    struct Global: Sendable {
        /// Seconds between collections of a target (per-target `collect_interval` overrides).
        var collectInterval: Double = 15
        /// Seconds a collection may take; default two thirds of the interval.
        var collectTimeout: Double?
    }

    struct Web: Sendable {
        var listenAddress = VigilConfig.defaultListenAddress
        var maxConnections = 256
        var connectionTimeout: Double = 10
    }

    struct PostgresTarget: Sendable {
        var name: String
        /// libpq connection string (URI or key/value); may hold a password: a secret.
        var dsn: String
        var collectInterval: Double?
        var collectTimeout: Double?
    }

    struct RedisTarget: Sendable {
        var name: String
        /// `redis://[user[:password]@]host[:port][/db]` or `unix:///path?db=N`; a secret.
        var url: String
        /// Overrides the URL's password; a secret.
        var password: String?
        var collectInterval: Double?
        var collectTimeout: Double?
    }

    /// Neither postgres_exporter's 9187 nor redis_exporter's 9121.
    static let defaultListenAddress = ":9633"

    var global = Global()
    var web = Web()
    var postgres: [PostgresTarget] = []
    var redis: [RedisTarget] = []
    /// Where this configuration came from, for logs.
    var source = "embedded default"

    func interval(_ own: Double?) -> Double { own ?? global.collectInterval }

    func timeout(interval: Double, own: Double?) -> Double {
        own ?? global.collectTimeout.map { min($0, interval) } ?? interval * 2 / 3
    }
}

extension VigilConfig {
    /// The configuration used when no file is given: PostgreSQL from `DATABASE_URL`, else
    /// `DATA_SOURCE_NAME`, else libpq's own environment and defaults; Redis from `REDIS_URL`,
    /// else `REDIS_ADDR`, else `redis://localhost:6379`.
    static func embeddedDefault(environment: [String: String]) -> VigilConfig {
        var config = VigilConfig()
        let dsn = environment["DATABASE_URL"] ?? environment["DATA_SOURCE_NAME"] ?? ""
        config.postgres = [PostgresTarget(name: "default", dsn: dsn)]
        let redisURL = environment["REDIS_URL"] ?? environment["REDIS_ADDR"].map(normalizeRedisAddress) ?? "redis://localhost:6379"
        config.redis = [RedisTarget(name: "default", url: redisURL)]
        return config
    }

    /// `host:port` as redis_exporter's REDIS_ADDR allows becomes a redis:// URL.
    static func normalizeRedisAddress(_ addr: String) -> String {
        addr.contains("://") ? addr : "redis://\(addr)"
    }

    /// Loads and validates a configuration file.
    static func load(file: String, environment: [String: String]) throws -> VigilConfig {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigError(file: file, line: 0, column: 0, path: "", message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: file, line: 0, column: 0, path: "", message: "the file is not UTF-8 text")
        }
        let base = (file as NSString).deletingLastPathComponent
        return try parse(yaml: text, file: file, environment: environment, baseDirectory: base.isEmpty ? "." : base)
    }

    static func parse(yaml: String, file: String, environment: [String: String], baseDirectory: String = ".") throws -> VigilConfig {
        let context = YAMLContext(file: file, environment: environment, baseDirectory: baseDirectory)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                var empty = VigilConfig()
                empty.source = file
                return empty
            }
            root = node
        } catch let error as YamlError {
            throw Self.syntaxError(error, file: file)
        }
        let top = try MappingReader(root, path: "", context: context)
        var config = VigilConfig()
        config.source = file

        if let g = try top.mapping("global") {
            config.global.collectInterval = try g.positiveDuration("collect_interval") ?? config.global.collectInterval
            config.global.collectTimeout = try g.positiveDuration("collect_timeout")
            try checkTimeout(g, interval: config.global.collectInterval, timeout: config.global.collectTimeout)
            try g.finish()
        }
        if let w = try top.mapping("web") {
            if let addr = try w.string("listen_address") {
                try validateListenAddress(addr, reader: w)
                config.web.listenAddress = addr
            }
            config.web.maxConnections = try w.int("max_connections", range: 1...65535) ?? config.web.maxConnections
            config.web.connectionTimeout = try w.positiveDuration("connection_timeout") ?? config.web.connectionTimeout
            try w.finish()
        }
        if let pg = try top.mapping("postgres") {
            var names: Set<String> = []
            for item in try pg.sequence("targets") ?? [] {
                let t = try MappingReader(item.node, path: item.path, context: context)
                let name = try targetName(t, names: &names)
                guard let dsn = try t.secret("dsn") else {
                    throw context.error(item.node, item.path, "dsn or dsn_file is required")
                }
                try validateDSN(dsn, reader: t)
                let target = PostgresTarget(
                    name: name, dsn: dsn,
                    collectInterval: try t.positiveDuration("collect_interval"),
                    collectTimeout: try t.positiveDuration("collect_timeout"))
                try checkTimeout(t, interval: config.interval(target.collectInterval), timeout: target.collectTimeout)
                try t.finish()
                config.postgres.append(target)
            }
            try pg.finish()
        }
        if let r = try top.mapping("redis") {
            var names: Set<String> = []
            for item in try r.sequence("targets") ?? [] {
                let t = try MappingReader(item.node, path: item.path, context: context)
                let name = try targetName(t, names: &names)
                guard let url = try t.secret("url") else {
                    throw context.error(item.node, item.path, "url or url_file is required")
                }
                let normalized = normalizeRedisAddress(url)
                try validateRedisURL(normalized, reader: t)
                let target = RedisTarget(
                    name: name, url: normalized,
                    password: try t.secret("password"),
                    collectInterval: try t.positiveDuration("collect_interval"),
                    collectTimeout: try t.positiveDuration("collect_timeout"))
                try checkTimeout(t, interval: config.interval(target.collectInterval), timeout: target.collectTimeout)
                try t.finish()
                config.redis.append(target)
            }
            try r.finish()
        }
        try top.finish()
        return config
    }

    private static func syntaxError(_ error: YamlError, file: String) -> ConfigError {
        // Yams' own description quotes the offending line, which may hold a secret: use only
        // the problem and its position.
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ConfigError(file: file, line: mark.line, column: mark.column, path: "", message: "YAML syntax error: \(problem)")
        case .reader(let problem, _, _, _):
            return ConfigError(file: file, line: 0, column: 0, path: "", message: "YAML read error: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(file: file, line: context.mark.line, column: context.mark.column,
                               path: duplicates.joined(separator: ", "), message: "duplicate key: it appears more than once in one mapping")
        default:
            return ConfigError(file: file, line: 0, column: 0, path: "", message: "YAML error")
        }
    }

    private static func targetName(_ t: MappingReader, names: inout Set<String>) throws -> String {
        guard let name = try t.string("name") else {
            throw t.context.error(t.node, t.path, "name is required")
        }
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }) else {
            throw t.context.error(t.value("name"), t.childPath("name"), "names may hold only letters, digits, '_', '-' and '.'")
        }
        guard names.insert(name).inserted else {
            throw t.context.error(t.value("name"), t.childPath("name"), "duplicate target name \"\(name)\"")
        }
        return name
    }

    private static func checkTimeout(_ r: MappingReader, interval: Double, timeout: Double?) throws {
        if let timeout, timeout > interval {
            throw r.context.error(r.value("collect_timeout"), r.childPath("collect_timeout"),
                                  "must not exceed the collect_interval (\(PromDuration.format(interval)))")
        }
    }

    /// The forms HTTPServer accepts: `host:port`, `:port` or `[v6]:port`.
    private static func validateListenAddress(_ addr: String, reader: MappingReader) throws {
        do {
            _ = try ListenAddress.parse(addr)
        } catch {
            throw reader.context.error(reader.value("listen_address"), reader.childPath("listen_address"), "\(error)")
        }
    }

    /// A URI DSN must parse as a URL with a postgres scheme; a key/value DSN must be key=value pairs.
    private static func validateDSN(_ dsn: String, reader: MappingReader) throws {
        let key = reader.has("dsn") ? "dsn" : "dsn_file"
        func fail(_ why: String) -> ConfigError {
            reader.context.error(reader.value(key), reader.childPath(key), "invalid PostgreSQL DSN: \(why)")
        }
        if dsn.contains("://") {
            guard dsn.hasPrefix("postgres://") || dsn.hasPrefix("postgresql://") else {
                throw fail("the scheme must be postgresql:// or postgres://")
            }
            guard URLComponents(string: dsn) != nil else { throw fail("not a valid URL") }
        } else if !dsn.isEmpty {
            let redacted = Redaction.conninfo(dsn)
            guard redacted.split(separator: " ").allSatisfy({ $0.contains("=") && !$0.hasPrefix("=") }) else {
                throw fail("expected key=value pairs or a postgresql:// URL")
            }
        }
    }

    private static func validateRedisURL(_ url: String, reader: MappingReader) throws {
        let key = reader.has("url") ? "url" : "url_file"
        func fail(_ why: String) -> ConfigError {
            reader.context.error(reader.value(key), reader.childPath(key), "invalid Redis URL: \(why)")
        }
        if url.hasPrefix("rediss://") {
            throw fail("TLS (rediss://) is not supported by Debian 12's hiredis 0.14; reach a TLS Redis through a local tunnel (see README)")
        }
        guard let c = URLComponents(string: url), let scheme = c.scheme else { throw fail("not a valid URL") }
        switch scheme {
        case "redis":
            guard let host = c.host, !host.isEmpty else { throw fail("a host is required") }
            if let port = c.port, !(1...65535).contains(port) { throw fail("the port must be 1–65535") }
            let db = c.path.drop(while: { $0 == "/" })
            if !db.isEmpty, Int(db) == nil { throw fail("the path must be a database number") }
        case "unix":
            guard !c.path.isEmpty else { throw fail("a socket path is required") }
        default:
            throw fail("the scheme must be redis:// or unix://")
        }
    }
}
