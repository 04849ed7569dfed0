import Foundation
import Testing
import VigilCore
import RedisCollector
import PostgresCollector
@testable import Vigil

/// Where the test fixtures live.
enum Fixtures {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    }
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
    static var badConfigs: [String] {
        let dir = directory.appendingPathComponent("bad-configs")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .filter { $0.hasSuffix(".yml") }.sorted().map { dir.appendingPathComponent($0).path }
    }
    /// The `# expect: ...` first line of a broken configuration fixture.
    static func expectation(of file: String) -> String {
        // Only the first line is text for sure: some fixtures hold bytes that are not UTF-8 below it.
        let bytes = FileManager.default.contents(atPath: file).map(Array.init) ?? []
        let first = String(decoding: bytes.prefix(while: { $0 != UInt8(ascii: "\n") }), as: UTF8.self)
        return first.hasPrefix("# expect: ") ? String(first.dropFirst("# expect: ".count)) : "<missing expectation>"
    }
}

@Suite("Configuration")
struct ConfigTests {
    @Test("the folder of broken configurations is not empty")
    func fixturesExist() {
        #expect(Fixtures.badConfigs.count >= 15)
    }

    @Test("each broken configuration yields one clear error naming file, line, column and key",
          arguments: Fixtures.badConfigs)
    func broken(file: String) {
        do {
            _ = try VigilConfig.load(file: file, environment: ["HOME": "/root"])
            Issue.record("\(file) was accepted")
        } catch let error as PositionedError {
            let text = "\(error)"
            #expect(text.hasPrefix(file + ":"), "error should start with the file name: \(text)")
            #expect(text.contains(Fixtures.expectation(of: file)), "got: \(text)")
            #expect(!text.contains("hunter2"), "a secret leaked into: \(text)")
            #expect(!text.contains("\n"))
        } catch {
            Issue.record("unexpected error type: \(error)")
        }
    }

    @Test("the shipped example is valid")
    func example() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-example-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // The example reads secrets from /run/secrets; point those at temporary files.
        var text = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("examples/vigil.yml"), encoding: .utf8)
        for name in ["vigil-replica-1-dsn", "redis-password", "s3-secret"] {
            let path = dir.appendingPathComponent(name).path
            try (name.hasSuffix("dsn") ? "postgresql://vigil:pw@replica-1/app\n" : "pw\n").write(toFile: path, atomically: true, encoding: .utf8)
            text = text.replacingOccurrences(of: "/run/secrets/\(name)", with: path)
        }
        let config = try VigilConfig.parse(yaml: text, file: "vigil.yml", environment: ["VIGIL_PG_PASSWORD": "s3cret"])
        #expect(config.postgres.map(\.name) == ["primary", "replica-1"])
        #expect(config.postgres[0].pg?.dsn == "postgresql://vigil:s3cret@db-primary:5432/app?sslmode=prefer")
        #expect(config.postgres[1].pg?.dsn == "postgresql://vigil:pw@replica-1/app")
        #expect(config.redis[0].redis?.passwordFile?.hasSuffix("redis-password") == true)
        #expect(config.postgres[1].interval == 30)
        #expect(config.postgres[1].timeout == 5)
        #expect(config.remoteWrite.map(\.name) == ["central"] && config.remoteWrite.first?.basicAuth?.password == "pw")
        let rendered = config.renderedYAML()
        #expect(!rendered.contains("s3cret"))
        #expect(!rendered.contains(":pw@"))
        #expect(rendered.contains("postgresql://vigil:<secret>@db-primary:5432/app?sslmode=prefer"))
    }

    @Test("defaults: 15s interval, timeout two thirds of it, listening on :9633")
    func defaults() throws {
        let config = try VigilConfig.parse(yaml: "", file: "empty.yml", environment: [:])
        #expect(config.global.collectInterval == 15)
        #expect(config.timeout(interval: 15, own: nil) == 10)
        #expect(config.web.listenAddress == ":9633")
        #expect(config.postgres.isEmpty && config.redis.isEmpty)
    }

    @Test("the embedded default reads DATABASE_URL before DATA_SOURCE_NAME, REDIS_URL before REDIS_ADDR")
    func embedded() throws {
        let both = try VigilConfig.embeddedDefault(environment: [
            "DATABASE_URL": "postgresql://a/db", "DATA_SOURCE_NAME": "postgresql://b/db",
            "REDIS_URL": "redis://r1:6379", "REDIS_ADDR": "r2:6379",
        ])
        #expect(both.postgres.first?.pg?.dsn == "postgresql://a/db")
        #expect(both.redis.first?.redis?.url == "redis://r1:6379")
        let fallback = try VigilConfig.embeddedDefault(environment: ["DATA_SOURCE_NAME": "host=b", "REDIS_ADDR": "r2:6380"])
        #expect(fallback.postgres.first?.pg?.dsn == "host=b")
        #expect(fallback.redis.first?.redis?.url == "redis://r2:6380")
        let none = try VigilConfig.embeddedDefault(environment: [:])
        #expect(none.postgres.first?.pg?.dsn == "")
        #expect(none.redis.first?.redis?.url == "redis://localhost:6379")
    }

    @Test("${VAR} expands in any string and $$ is a literal dollar")
    func expansion() throws {
        let yaml = """
            web: {listen_address: "127.0.0.1:${PORT}"}
            redis: {targets: [{name: c, url: "redis://h:6379", password: "p$$w"}]}
            """
        let config = try VigilConfig.parse(yaml: yaml, file: "x.yml", environment: ["PORT": "9999"])
        #expect(config.web.listenAddress == "127.0.0.1:9999")
        #expect(config.redis.first?.redis?.password == "p$w")
    }
}

extension VigilConfig {
    var postgres: [ConfiguredTarget] { targets(of: "postgres") }
    var redis: [ConfiguredTarget] { targets(of: "redis") }
}

extension ConfiguredTarget {
    var pg: PostgresCollectorOptions? { options as? PostgresCollectorOptions }
    var redis: RedisCollectorOptions? { options as? RedisCollectorOptions }
}
