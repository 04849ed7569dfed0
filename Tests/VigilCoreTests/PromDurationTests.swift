import Testing
@testable import VigilCore

@Suite("Prometheus durations")
struct PromDurationTests {
    @Test("valid durations parse to seconds", arguments: [
        ("15s", 15.0), ("500ms", 0.5), ("1m30s", 90), ("1h", 3600), ("2d", 172_800), ("1w", 604_800),
        ("1y", 31_536_000), ("0", 0), ("0s", 0), ("1h1m1s1ms", 3661.001),
    ])
    func valid(text: String, seconds: Double) {
        #expect(PromDuration.parse(text) == seconds)
    }

    @Test("invalid durations are rejected", arguments: ["", "15", "s", "1.5s", "-1s", "1s1m", "1ss", "10 s", "1x", "1m1m"])
    func invalid(text: String) {
        #expect(PromDuration.parse(text) == nil)
    }

    @Test("formatting matches Prometheus' style")
    func format() {
        #expect(PromDuration.format(90) == "1m30s")
        #expect(PromDuration.format(0.5) == "500ms")
        #expect(PromDuration.format(0) == "0s")
        #expect(PromDuration.format(10) == "10s")
    }
}

@Suite("Redaction")
struct RedactionTests {
    @Test("URL passwords are masked, users and hosts kept")
    func url() {
        #expect(Redaction.url("postgresql://app:s3cret@db:5432/x?sslmode=require") == "postgresql://app:<secret>@db:5432/x?sslmode=require")
        #expect(Redaction.url("redis://:pw@127.0.0.1:6379/0") == "redis://:<secret>@127.0.0.1:6379/0")
        #expect(Redaction.url("redis://127.0.0.1:6379") == "redis://127.0.0.1:6379")
        #expect(Redaction.url("postgresql://h/db?user=u&password=hunter2") == "postgresql://h/db?user=u&password=<secret>")
    }

    @Test("key/value conninfo passwords are masked, quoted ones too")
    func conninfo() {
        #expect(Redaction.conninfo("host=db user=app password=s3cret dbname=x") == "host=db user=app password=<secret> dbname=x")
        #expect(Redaction.conninfo("password='a b\\' c' host=db") == "password=<secret> host=db")
        #expect(!Redaction.conninfo("host=db password = spaced").contains("spaced"))
    }
}

@Suite("Prometheus durations at their limits")
struct PromDurationLimitTests {
    @Test("durations beyond Go's time.Duration are out of range, as model.ParseDuration says", arguments: [
        "9223372036854775807s", "999999999999999y", "293y", "106752d", "18446744073709551616ms", "9223372036855s",
    ])
    func outOfRange(text: String) {
        #expect(PromDuration.parseMilliseconds(text) == .failure(.outOfRange))
        #expect(PromDuration.parse(text) == nil)
    }

    @Test("the longest representable duration parses exactly, and a malformed huge one is invalid, not out of range")
    func edges() {
        #expect(PromDuration.parseMilliseconds("9223372036854ms") == .success(9_223_372_036_854))
        #expect(PromDuration.parseMilliseconds("292y") == .success(292 * 365 * 86_400_000))
        #expect(PromDuration.parseMilliseconds("999999999999999ys") == .failure(.invalid))
        #expect(PromDuration.parseMilliseconds("99999999999999999999999x") == .failure(.invalid))
    }

    @Test("formatting and converting never trap: infinities, NaN and huge values are clamped")
    func total() {
        for v in [Double.infinity, -Double.infinity, Double.nan, 1e300, -1e300, Double.greatestFiniteMagnitude] {
            let text = PromDuration.format(v)
            #expect(!text.isEmpty)
            _ = PromDuration.milliseconds(v)
        }
        #expect(PromDuration.format(.infinity) == "292y24w3d23h47m16s854ms")
        #expect(PromDuration.format(-.infinity) == "-292y24w3d23h47m16s854ms")
        #expect(PromDuration.format(.nan) == "0s")
        #expect(PromDuration.milliseconds(1.0005) == 1001)
        #expect(PromDuration.format(PromDuration.maxSeconds) == "292y24w3d23h47m16s854ms")
    }
}
