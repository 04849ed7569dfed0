import Testing
@testable import Notify

@Suite("Fingerprint and matchers")
struct FingerprintTests {
    @Test("fingerprint is FNV-1a 64 over sorted labels with 0xFF separators")
    func fnv() {
        // The empty set hashes to the FNV offset basis, as in prometheus/common.
        #expect(Fingerprint(labels: [:]).value == 14695981039346656037)
        // Known value from prometheus/common's signature_test (LabelsToSignature of {name: "garland, briggs", fear: "love is not enough"}).
        let fp = Fingerprint(labels: ["name": "garland, briggs", "fear": "love is not enough"])
        #expect(fp.value == 5799056148416392346)
        #expect(fp.description == String(5799056148416392346, radix: 16))
        // Order of insertion does not matter; values do.
        #expect(Fingerprint(labels: ["a": "1", "b": "2"]) == Fingerprint(labels: ["b": "2", "a": "1"]))
        #expect(Fingerprint(labels: ["a": "1", "b": "2"]) != Fingerprint(labels: ["a": "12"]))
        #expect(Fingerprint(UInt64(0xab)).description == "00000000000000ab")
    }

    @Test("matchers parse in Alertmanager's syntax and regexes are anchored")
    func matchers() throws {
        let ms = try MatcherParser.parse("{alertname=\"Disk\", severity=~\"crit|warn\", team!=ops, env!~\"dev.*\"}")
        #expect(ms.map(\.description) == ["alertname=\"Disk\"", "severity=~\"crit|warn\"", "team!=\"ops\"", "env!~\"dev.*\""])
        #expect(Matcher.all(ms, match: ["alertname": "Disk", "severity": "crit", "env": "prod"]))
        #expect(!Matcher.all(ms, match: ["alertname": "Disk", "severity": "critical", "env": "prod"]))  // anchored
        #expect(!Matcher.all(ms, match: ["alertname": "Disk", "severity": "warn", "env": "devel"]))
        #expect(!Matcher.all(ms, match: ["alertname": "Disk", "severity": "warn", "team": "ops"]))
        let bare = try MatcherParser.parse("severity = critical")
        #expect(bare == [try Matcher(name: "severity", kind: .equal, value: "critical")])
        // Missing label matches as "".
        #expect(try MatcherParser.parse("team=\"\"")[0].matches([:]))
        #expect(try MatcherParser.parse("a=\"x\\\"y\"")[0].value == "x\"y")
        for bad in ["{a=\"b\"", "a", "a=~\"(\"", "=b", "a=\"b", "{a=b} x", "a==b c"] {
            #expect(throws: MatcherError.self, "\(bad)") { try MatcherParser.parse(bad) }
        }
        #expect(Matcher.listDescription(ms) == "{alertname=\"Disk\",env!~\"dev.*\",severity=~\"crit|warn\",team!=\"ops\"}")
    }
}

@Suite("Notify matchers use RE2")
struct MatcherRE2Tests {
    @Test("Alertmanager matchers accept RE2 syntax and match in linear time")
    func re2Syntax() throws {
        let m = try Matcher(name: "team", kind: .regex, value: "\\pL+-(?U)\\d+")
        #expect(m.matches(["team": "δb-42"]))
        #expect(!m.matches(["team": "4-42"]))
        let slow = try Matcher(name: "x", kind: .notRegex, value: "(a+)+$")
        #expect(slow.matches(["x": String(repeating: "a", count: 10_000) + "!"]))
    }

    @Test("an invalid matcher regex says why")
    func invalidRegex() {
        do {
            _ = try Matcher(name: "x", kind: .regex, value: "(?<=a)")
            Issue.record("compiled")
        } catch {
            #expect(error.message.hasPrefix("invalid regular expression ("), "\(error)")
        }
    }
}
