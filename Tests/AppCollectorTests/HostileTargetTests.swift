import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import AppCollector

@Suite("Hostile probe targets and S3 answers", .serialized)
struct HostileTargetTests {
    @Test("a target that accepts and never answers reads probe_success 0 within the timeout, counted as timeout")
    func hang() throws {
        let silent = try SilentListener()
        defer { silent.close() }
        let yaml = """
        probes:
          - {name: hang-http, prober: http, target: "http://127.0.0.1:\(silent.port)/", interval: 5s, timeout: 1s}
          - {name: hang-tcp, prober: tcp, target: "127.0.0.1:\(silent.port)", interval: 5s, timeout: 1s, tcp: {query_response: [{expect: "^+OK"}]}}
        """
        for target in try readTargets(ProbeKind(), yaml) {
            let started = ContinuousClock.now
            let f = try collectOnce(target)
            #expect((ContinuousClock.now - started) < .milliseconds(1000), "\(target.name) overran its timeout")
            #expect(f.value("probe_success") == 0)
            #expect(f.value("vigil_probe_failures_total", ["reason": "timeout"]) == 1, "\(target.name)")
        }
    }

    @Test("a body over body_size_limit fails the probe as too_large without reading it all")
    func hugeBody() throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        let yaml = "probes:\n  - {name: big, prober: http, target: \"\(server.url("/big?n=5000000"))\", timeout: 5s, interval: 10s, http: {body_size_limit: 10000}}\n"
        let f = try collectOnce(try #require(try readTargets(ProbeKind(), yaml).first))
        #expect(f.value("probe_success") == 0)
        #expect(f.value("vigil_probe_failures_total", ["reason": "too_large"]) == 1)
    }

    @Test("garbage, truncated, deep or hostile XML is a clear listing error, never a partial listing")
    func garbageXML() {
        let good = """
        <?xml version="1.0" encoding="UTF-8"?>
        <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><IsTruncated>false</IsTruncated>
        <Contents><Key>pg/a&amp;b.gz</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><Size>42</Size></Contents></ListBucketResult>
        """
        let page = try? S3ListParser.parsePage(Array(good.utf8))
        #expect(page?.entries == [BackupEntry(name: "pg/a&b.gz", size: 42, modified: 1_767_323_045)])
        let bad = [
            "not xml at all", "", "<ListBucketResult><Contents><Key>a</Key>", "<Error><Code>AccessDenied</Code></Error>",
            "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><ListBucketResult/>",
            String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100),
            "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size><LastModified>2026-01-02T03:04:05Z</LastModified></Contents></ListBucketResult>",
            "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
            "<ListBucketResult></Other>",
            "<ListBucketResult><Name>&bogus;</Name></ListBucketResult>",
        ]
        for text in bad {
            #expect(throws: S3ListParser.Failure.self, "\(text.prefix(40))") { try S3ListParser.parsePage(Array(text.utf8)) }
        }
        #expect(S3ListParser.errorCode(Array("<Error><Code>SignatureDoesNotMatch</Code><Message>x</Message></Error>".utf8)) == "SignatureDoesNotMatch")
        #expect(S3ListParser.errorCode(Array("<Error><Code>a b</Code></Error>".utf8)) == nil)
    }

    @Test("configuration: dns is refused as not supported yet; keys of the other prober, bad regexes and targets are errors")
    func configuration() {
        #expect(configError(ProbeKind(), "probes:\n  - {name: d, prober: dns, target: example.com}\n")?.contains("not supported yet") == true)
        #expect(configError(ProbeKind(), "probes:\n  - {name: t, prober: tcp, target: \"127.0.0.1:1\", http: {}}\n")?.contains("belongs to prober http") == true)
        #expect(configError(ProbeKind(), "probes:\n  - {name: t, prober: tcp, target: nohost}\n")?.contains("host:port") == true)
        #expect(configError(ProbeKind(), "probes:\n  - {name: h, prober: http, target: x, http: {fail_if_body_matches_regexp: [\"a(\"]}}\n")?.contains("invalid regular expression") == true)
        #expect(configError(ProbeKind(), "probes:\n  - {name: h, prober: http, target: x, http: {valid_status_codes: [999]}}\n")?.contains("100-599") == true)
        #expect(configError(ProbeKind(), "probes:\n  - {name: h, prober: http, target: x, timeout: 20s, interval: 10s}\n")?.contains("longer than the interval") == true)
        #expect(configError(ProbeKind(), "probes:\n  - {name: h, prober: http, target: x, http: {metod: GET}}\n")?.contains("unknown field") == true)
    }

    @Test("check-config shows a probe's module keys with credentials in headers redacted")
    func rendered() throws {
        let yaml = "probes:\n  - {name: api, prober: http, target: example.com/health, http: {headers: {Authorization: Bearer s3cr3t-token, X-Team: core}}}\n"
        let t = try #require(try readTargets(ProbeKind(), yaml).first)
        let text = t.rendered.joined(separator: "\n")
        #expect(!text.contains("s3cr3t"))
        #expect(text.contains("\"X-Team\": \"core\""))
        #expect(t.labels == [Label("probe", "api"), Label("instance", "example.com/health")])
        #expect((t.options as? ProbeOptions)?.target == "http://example.com/health")
    }
}
