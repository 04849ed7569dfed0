import Foundation
import Testing
@testable import Vigil

/// `web.header_timeout`, `web.query_timeout`, `web.query_max_concurrency`, `web.query_max_samples`:
/// defaults, parsing, ranges, and the effective configuration. (Broken values are also in
/// Fixtures/bad-configs/web-*.yml, checked with the other broken configurations.)
@Suite("Configuration: web defences and query limits")
struct WebDefencesConfigTests {
    static func parse(_ yaml: String) throws -> VigilConfig {
        try VigilConfig.parse(yaml: yaml, file: "vigil.yml", environment: ["HOME": "/root"])
    }

    @Test("defaults: header 5s, query 30s (Prometheus: 2m), 2 queries at once with 4 waiting, 50,000,000 samples (as Prometheus)")
    func defaults() throws {
        let web = try Self.parse("global: {collect_interval: 15s}\n").web
        #expect(web.maxConnections == 256)
        #expect(web.headerTimeout == 5)
        #expect(web.queryTimeout == 30)
        #expect(web.queryMaxConcurrency == 2)
        #expect(web.queryQueueLimit == 4)
        #expect(web.queryMaxSamples == 50_000_000)
        let rendered = try Self.parse("global: {collect_interval: 15s}\n").renderedYAML()
        for line in ["  header_timeout: 5s", "  query_timeout: 30s", "  query_max_concurrency: 2", "  query_max_samples: 50000000"] {
            #expect(rendered.contains(line + "\n"), "\(line) missing from\n\(rendered)")
        }
    }

    @Test("values are read and rendered back")
    func values() throws {
        let config = try Self.parse("""
            web:
              header_timeout: 2s500ms
              query_timeout: 2m
              query_max_concurrency: 4
              query_max_samples: 1000
            """)
        #expect(config.web.headerTimeout == 2.5)
        #expect(config.web.queryTimeout == 120)
        #expect(config.web.queryMaxConcurrency == 4)
        #expect(config.web.queryQueueLimit == 8)
        #expect(config.web.queryMaxSamples == 1000)
        let rendered = config.renderedYAML()
        #expect(rendered.contains("  header_timeout: 2s500ms\n") && rendered.contains("  query_timeout: 2m\n"))
    }

    @Test("out-of-range values name the key, the range and the value", arguments: [
        ("header_timeout: 0s", "web.header_timeout: must be between 100ms and 5m, found 0s"),
        ("header_timeout: 1h", "web.header_timeout: must be between 100ms and 5m, found 1h"),
        ("query_timeout: 2h", "web.query_timeout: must be between 10ms and 1h, found 2h"),
        ("query_timeout: 0", "web.query_timeout: must be between 10ms and 1h, found 0s"),
        ("query_max_concurrency: 0", "web.query_max_concurrency: must be between 1 and 64"),
        ("query_max_concurrency: 65", "web.query_max_concurrency: must be between 1 and 64"),
        ("query_max_samples: 0", "web.query_max_samples: must be between 1 and 1000000000000"),
        ("query_timeout: soon", "web.query_timeout: invalid duration"),
    ])
    func ranges(line: String, message: String) {
        do {
            _ = try Self.parse("web:\n  \(line)\n")
            Issue.record("\(line) was accepted")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
            #expect("\(error)".hasPrefix("vigil.yml:2:"), "\(error)")
        }
    }
}
