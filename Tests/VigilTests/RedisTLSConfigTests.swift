import Foundation
import Testing
import VigilCore
@testable import Vigil
import RedisCollector

/// The Redis keys of issue 17 through the whole configuration reader: `rediss://` with
/// `tls_config`, the check lists and switches, and how `check-config` prints them.
@Suite("Redis TLS and check options in the configuration")
struct RedisTLSConfigTests {
    @Test("rediss:// with tls_config and the opt-in checks are read, range-checked and rendered")
    func reads() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-redis-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for f in ["ca.pem", "client.pem", "client-key.pem"] {
            try "-----BEGIN CERTIFICATE-----\n".write(to: dir.appendingPathComponent(f), atomically: true, encoding: .utf8)
        }
        let yaml = """
            redis:
              targets:
                - name: managed
                  url: "rediss://default:hunter2@cache.example.com:6380/1"
                  tls_config:
                    ca_file: \(dir.path)/ca.pem
                    cert_file: \(dir.path)/client.pem
                    key_file: \(dir.path)/client-key.pem
                    server_name: cache.example.com
                  check_streams: ["db1=orders:*", "events"]
                  check_single_keys: ["db2=jobs:last-run"]
                  check_keys: ["flags:*"]
                  export_client_list: true
                  max_client_names: 5
                  include_config_metrics: true
                  bullmq: {events_streams: false}
            """
        let config = try VigilConfig.parse(yaml: yaml, file: "x.yml", environment: [:])
        let o = try #require(config.redis.first?.redis)
        #expect(o.tls?.caFile == "\(dir.path)/ca.pem" && o.tls?.serverName == "cache.example.com")
        #expect(o.checkStreams == [.init(db: 1, key: "orders:*"), .init(db: 0, key: "events")])
        #expect(o.checkSingleKeys == [.init(db: 2, key: "jobs:last-run")])
        #expect(o.checkKeys == [.init(db: 0, key: "flags:*")])
        #expect(o.exportClientList && o.includeConfigMetrics && o.maxClientNames == 5 && !o.bullmq.eventsStreams)
        let rendered = config.renderedYAML()
        #expect(!rendered.contains("hunter2"))
        #expect(rendered.contains("rediss://default:<secret>@cache.example.com:6380/1"))
        #expect(rendered.contains("server_name: \"cache.example.com\""))
        #expect(rendered.contains("check_streams: [\"db1=orders:*\", \"db0=events\"]"))
    }

    @Test("a missing CA file and an out-of-range max_streams are positioned errors")
    func refuses() {
        for (yaml, expected) in [
            ("redis: {targets: [{name: c, url: \"rediss://h\", tls_config: {ca_file: /nonexistent/ca.pem}}]}", "tls_config.ca_file: no such file"),
            ("redis: {targets: [{name: c, url: \"redis://h\", max_streams: 0}]}", "max_streams"),
        ] {
            #expect { try VigilConfig.parse(yaml: yaml, file: "x.yml", environment: [:]) } throws: { "\($0)".contains(expected) }
        }
    }
}
