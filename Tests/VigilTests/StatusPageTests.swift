import Foundation
import HTTPServer
import Testing
@testable import Vigil
import VigilCore

/// The status page as a pure function: escaping of hostile values, redaction of error texts,
/// the silence forms' matchers, sparklines, and the `web.dashboards_url` / `web.health_without_auth` keys.
@Suite("Status page rendering")
struct StatusPageTests {
    static let hostile = [
        "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "' onmouseover='alert(1)", "a & b &amp; c",
        "nul\u{0}esc\u{1B}[31mred\u{7F}del\u{85}nel", "right\u{202E}gnp.exe", "</textarea></style></script><!--",
    ]

    @Test("escape leaves no markup: < > \" ' become entities, & only starts an entity, control and bidi characters become U+FFFD")
    func escapeHostileStrings() {
        for text in Self.hostile {
            let e = HTML.escape(text)
            #expect(!e.contains("<") && !e.contains(">") && !e.contains("\"") && !e.contains("'"), "\(e)")
            #expect(!e.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x202E }, "\(e)")
            // Every & starts one of the five entities this function writes.
            var rest = Substring(e)
            while let amp = rest.firstIndex(of: "&") {
                let tail = rest[amp...]
                #expect(["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].contains { tail.hasPrefix($0) }, "\(e)")
                rest = rest[rest.index(after: amp)...]
            }
        }
        #expect(HTML.escape("<script>\"x\" & 'y'</script>") == "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;")
        #expect(HTML.escape("a\u{0}b\u{1B}c\u{202E}d") == "a\u{FFFD}b\u{FFFD}c\u{FFFD}d")
        #expect(HTML.escape("tab\tand\nnewline, ünïcödé ✓") == "tab\tand\nnewline, ünïcödé ✓")
        #expect(HTML.escape("") == "")
    }

    @Test("error texts lose URL passwords and password= values")
    func redaction() {
        let e = StatusPage.redact("dial postgres://vigil:hunter2@db:5432/app failed; conninfo host=db password=s3cr3t user=x; redis://:tok3n@cache:6379")
        #expect(!e.contains("hunter2") && !e.contains("s3cr3t") && !e.contains("tok3n"), "\(e)")
        #expect(e.contains("postgres://vigil:<secret>@db:5432/app") && e.contains("password=<secret> user=x"), "\(e)")
    }

    static func state() -> StatusPage.State {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var s = StatusPage.State(version: "1.2.3", now: now, ready: true)
        s.targets = [
            .init(kind: "postgres", name: "main", up: true, lastCollection: now.addingTimeInterval(-3), duration: 0.042, lastError: nil),
            .init(kind: "redis", name: "cache<b>", up: false, lastCollection: now.addingTimeInterval(-1), duration: 2,
                  lastError: "connect redis://:pa55@127.0.0.1:1 failed <script>x</script>"),
            .init(kind: "probe", name: "api", up: nil, lastCollection: nil, duration: 0, lastError: nil),
        ]
        s.alerts = [.init(name: "DiskFull", state: "firing",
                          labels: [("alertname", "DiskFull"), ("server", "db\"1"), ("severity", "page")],
                          annotations: [("summary", "<img src=x onerror=alert(1)> & more")],
                          activeAt: now.addingTimeInterval(-600), firedAt: now.addingTimeInterval(-300), value: 97.5, silencedBy: []),
                    .init(name: "SlowQueries", state: "pending", labels: [("alertname", "SlowQueries")], annotations: [],
                          activeAt: now.addingTimeInterval(-20), firedAt: nil, value: 1, silencedBy: ["abc"])]
        s.silences = [.init(id: "abc", matchers: "{alertname=\"SlowQueries\"}", state: "active", startsAt: now.addingTimeInterval(-60),
                            endsAt: now.addingTimeInterval(3600), createdBy: "ops", comment: "deploy <b>"),
                      .init(id: "old", matchers: "{a=\"b\"}", state: "expired", startsAt: now.addingTimeInterval(-9000),
                            endsAt: now.addingTimeInterval(-6000), createdBy: "ops", comment: "gone")]
        s.groups = [.init(name: "seed", file: "rules/seed.yml", interval: 15, rules: 4, lastEvaluation: now.addingTimeInterval(-2),
                          evaluationSeconds: 0.003, errors: ["bad: division <by> zero"])]
        s.receivers = [.init(name: "ops", outboxDepth: 2, oldestWaiting: now.addingTimeInterval(-40), lastDelivery: now.addingTimeInterval(-90),
                             lastError: "HTTP 503")]
        let t0 = SeriesMillisForTests.ms(now) - 60_000
        s.charts = [.init(title: "Redis memory", metric: "memory_usage_bytes", unit: .bytes,
                          series: [.init(labels: "server=cache", points: (0..<7).map { .init(t: t0 + Int64($0) * 10_000, v: Double($0 * 1_048_576)) })])]
        s.chartWindow = 60_000
        s.dashboardsURL = "https://grafana.example.com/d/vigil?orgId=1&var=\"x\""
        return s
    }

    @Test("the page: targets by kind with state and redacted errors, alerts with escaped labels and annotations, forms, silences, groups, receivers, charts, links")
    func renderedPage() throws {
        let html = StatusPage.render(Self.state())
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
        // Air-gapped: nothing is loaded from elsewhere; the stylesheet and the script are Vigil's own.
        #expect(!html.contains("src=\"http") && !html.contains("@import"))
        #expect(html.contains("<link rel=\"stylesheet\" href=\"\(StatusPage.stylesheet.relativePath)\">"))
        #expect(html.contains("<script src=\"\(StatusPage.scriptAsset.relativePath)\" defer></script>"))
        #expect(html.contains("<h3>PostgreSQL</h3>") && html.contains("<h3>Redis</h3>") && html.contains("<h3>Probes</h3>"))
        #expect(html.contains("<tr class=\"target\" data-kind=\"redis\" data-up=\"0\"><td>cache&lt;b&gt;</td><td><span class=\"pill bad\">down</span>"))
        #expect(html.contains("<tr class=\"target\" data-kind=\"probe\" data-up=\"\"><td>api</td><td><span class=\"pill\">waiting</span>"))
        #expect(html.contains("42 ms") && html.contains("3s ago"))
        #expect(!html.contains("pa55") && html.contains("redis://:&lt;secret&gt;@127.0.0.1:1 failed &lt;script&gt;x&lt;/script&gt;"))
        #expect(html.contains("2/3 targets up · 1 firing · 1 pending"))
        // The hostile annotation is text; the only <script> is the page's own.
        #expect(html.contains("<dd>&lt;img src=x onerror=alert(1)&gt; &amp; more</dd>"))
        #expect(!html.contains("<img") && html.components(separatedBy: "<script").count == 2)
        #expect(html.contains("<code>server=\"db&quot;1\"</code>"))
        #expect(html.contains("firing since 2027-01-15T07:55:00 UTC (5m ago)"))
        #expect(html.contains("pending since") && html.contains("<span class=\"pill\">silenced</span>"))
        // Firing first.
        let firing = try #require(html.range(of: "data-alertname=\"DiskFull\""))
        let pending = try #require(html.range(of: "data-alertname=\"SlowQueries\""))
        #expect(firing.lowerBound < pending.lowerBound)
        // Silences: the active one with its expire button; expired ones are not listed.
        #expect(html.contains("<button class=\"expire\" type=\"button\" data-id=\"abc\">Expire</button>"))
        #expect(html.contains("deploy &lt;b&gt;") && !html.contains("data-id=\"old\""))
        #expect(html.contains("<span class=\"pill bad\">err</span>") && html.contains("bad: division &lt;by&gt; zero"))
        #expect(html.contains("<tr class=\"receiver\"><td>ops</td><td>2</td><td>40s ago</td><td>1m30s ago</td><td class=\"err\">HTTP 503</td>"))
        #expect(html.contains("<figure class=\"chart\" data-metric=\"memory_usage_bytes\">") && html.contains("6.0 MiB") && html.contains("<polyline points=\""))
        #expect(html.contains("<a href=\"https://grafana.example.com/d/vigil?orgId=1&amp;var=&quot;x&quot;\" rel=\"noopener noreferrer\">Dashboards</a>"))
        #expect(html.contains("<a href=\"metrics\">/metrics</a>") && html.contains("href=\"api/v2/silences\""))
        // Pure: the same state renders the same bytes.
        #expect(StatusPage.render(Self.state()) == html)
    }

    @Test("a silence form carries the alert's labels as equality matchers in escaped JSON that the browser decodes back")
    func silenceFormMatchers() throws {
        let html = StatusPage.render(Self.state())
        let start = try #require(html.range(of: "<form class=\"silence-form\" data-matchers=\""))
        let end = try #require(html[start.upperBound...].firstIndex(of: "\""))
        let attribute = String(html[start.upperBound..<end])
        let decoded = attribute.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
        let matchers = try #require(try JSONSerialization.jsonObject(with: Data(decoded.utf8)) as? [[String: Any]])
        #expect(matchers.map { $0["name"] as? String } == ["alertname", "server", "severity"])
        #expect(matchers.map { $0["value"] as? String } == ["DiskFull", "db\"1", "page"])
        #expect(matchers.allSatisfy { $0["isEqual"] as? Bool == true && $0["isRegex"] as? Bool == false })
        // The script posts to the relative silence API (same origin: the browser resends basic-auth credentials).
        #expect(StatusPage.script.contains("\"POST\",\"api/v2/silences\"") && StatusPage.script.contains("\"DELETE\",\"api/v2/silence/\"+encodeURIComponent"))
    }

    @Test("without an alerting section: no silence forms, no silences or notifications sections; an empty page says so")
    func withoutAlerting() {
        var s = Self.state()
        s.silences = nil
        s.receivers = nil
        let html = StatusPage.render(s)
        #expect(!html.contains("class=\"silence-form\"") && !html.contains("id=\"silences\"") && !html.contains("id=\"notifications\""))
        let empty = StatusPage.render(StatusPage.State(version: "x", now: Date(), ready: false, alertingRules: false))
        #expect(empty.contains("No targets are configured.") && empty.contains("No alerting rules are loaded.") && empty.contains("not ready"))
        #expect(!empty.contains("id=\"charts\""))
    }

    @Test("sparklines: one polyline scaled to the window, gaps split the line, non-finite values are skipped, flat series sit in the middle")
    func sparklines() {
        let spark = Sparkline(width: 102, height: 24, maxGap: 15_000)
        let line = spark.svg([(0, 0), (10_000, 10), (20_000, 5)], from: 0, to: 20_000, label: "x<y")
        #expect(line.contains("<polyline points=\"1,22 51,2 101,12\"/>"), "\(line)")
        #expect(line.contains("<title>x&lt;y</title>"))
        let gap = spark.svg([(0, 1), (10_000, 2), (60_000, 3), (70_000, 4)], from: 0, to: 70_000, label: "")
        #expect(gap.components(separatedBy: "<polyline").count == 3, "\(gap)")
        let holes = spark.svg([(0, .nan), (10_000, 1), (20_000, .infinity), (25_000, 2)], from: 0, to: 30_000, label: "")
        #expect(holes.contains("<polyline points=\"34.3,22 84.3,2\"/>"), "\(holes)")
        let flat = spark.svg([(0, 7), (10_000, 7)], from: 0, to: 10_000, label: "")
        #expect(flat.contains("points=\"1,12 101,12\""), "\(flat)")
        #expect(!spark.svg([], from: 0, to: 10, label: "").contains("<polyline"))
        let many = (0..<10_000).map { (Int64($0), Double($0 % 13)) }
        let thinned = spark.svg(many, from: 0, to: 10_000, label: "")
        #expect(thinned.split(separator: " ").count < Sparkline.maxPoints + 20)
    }

    /// Every start tag of `html` (text between `<` and `>`; escaped text holds neither).
    static func tags(_ html: String) -> [String] {
        html.split(separator: "<").dropFirst().compactMap { $0.split(separator: ">", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) }
    }

    @Test("nothing a strict CSP refuses: no inline <script> or <style>, no style= or on…= attribute, no javascript: URL, even with hostile values")
    func noInlineCode() throws {
        var s = Self.state()
        s.alerts[0].annotations.append((name: "x", value: "<style>*{display:none}</style><a href=javascript:alert(1) onclick=\"x\" style=\"y\">"))
        let html = StatusPage.render(s)
        let tags = Self.tags(html)
        #expect(tags.count > 100)
        let attribute = try Regex("\\s(on[a-z]+|style)\\s*=")
        for tag in tags {
            #expect(tag.firstMatch(of: attribute) == nil, "\(tag)")
            #expect(!tag.lowercased().contains("javascript:"), "\(tag)")
        }
        #expect(!tags.contains { $0.hasPrefix("style") }, "an inline stylesheet")
        let scripts = tags.filter { $0.hasPrefix("script") }
        #expect(scripts == ["script src=\"\(StatusPage.scriptAsset.relativePath)\" defer"])
        // A script element with a src and nothing inside.
        #expect(html.contains("defer></script>"))
        // The only URL an element loads without a click: the two assets and the icon (data:, which the policy allows).
        let loaded = tags.filter { $0.hasPrefix("link") || $0.hasPrefix("script") || $0.hasPrefix("img") || $0.hasPrefix("iframe") }
        #expect(loaded == ["link rel=\"icon\" href=\"data:,\"", "link rel=\"stylesheet\" href=\"\(StatusPage.stylesheet.relativePath)\"",
                           "script src=\"\(StatusPage.scriptAsset.relativePath)\" defer"])
    }

    @Test("the assets: content-hashed names under /static/, their bytes, types, an immutable year of caching, the hash as ETag and 304 when it matches")
    func assets() throws {
        let css = StatusPage.stylesheet, js = StatusPage.scriptAsset
        #expect(try Regex("^/static/status\\.[0-9a-f]{16}\\.css$").wholeMatch(in: css.path) != nil, "\(css.path)")
        #expect(try Regex("^/static/status\\.[0-9a-f]{16}\\.js$").wholeMatch(in: js.path) != nil, "\(js.path)")
        #expect(css.body == Array(StatusPage.css.utf8) && js.body == Array(StatusPage.script.utf8))
        // The name follows the content: one changed byte, another name.
        let changed = StaticAsset(name: "status", ext: "css", contentType: css.contentType, text: StatusPage.css + " ")
        #expect(changed.path != css.path && changed.etag != css.etag)
        #expect(StaticAsset(name: "status", ext: "css", contentType: css.contentType, text: StatusPage.css).path == css.path)
        #expect(css.etag == "\"" + css.path.split(separator: ".")[1] + "\"")

        let plain = HTTPRequestForTests.get(css.path)
        let ok = css.response(to: plain)
        #expect(ok.status == 200 && ok.body == css.body)
        #expect(ok.header("content-type") == "text/css; charset=utf-8" && js.response(to: plain).header("content-type") == "text/javascript; charset=utf-8")
        #expect(ok.header("cache-control") == "public, max-age=31536000, immutable" && ok.header("etag") == css.etag)
        #expect(ok.header("x-content-type-options") == "nosniff")
        for matching in [css.etag, "W/\(css.etag)", "\"other\", \(css.etag)", "*"] {
            let r = css.response(to: HTTPRequestForTests.get(css.path, ["if-none-match": matching]))
            #expect(r.status == 304 && r.body.isEmpty && r.header("etag") == css.etag, "\(matching)")
        }
        for stale in ["\"0123456789abcdef\"", js.etag, ""] {
            #expect(css.response(to: HTTPRequestForTests.get(css.path, ["if-none-match": stale])).status == 200, "\(stale)")
        }
    }

    @Test("security headers: the page's strict policy, nosniff on every response unless the web config file sets its own, the file's headers kept in order")
    func securityHeaders() {
        let page = Dictionary(uniqueKeysWithValues: StatusPageSource.pageHeaders.map { ($0.0.lowercased(), $0.1) })
        #expect(page["content-security-policy"] == "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
        #expect(page["x-content-type-options"] == "nosniff" && page["referrer-policy"] == "no-referrer" && page["x-frame-options"] == "DENY")
        #expect(page["content-type"] == "text/html; charset=utf-8" && page["cache-control"] == "no-store")
        #expect(page.count == StatusPageSource.pageHeaders.count, "a header twice")
        #expect(SecurityHeaders.everyResponse([]).map { "\($0.0): \($0.1)" } == ["X-Content-Type-Options: nosniff"])
        let configured = [WebConfigFile.Header(name: "X-Frame-Options", value: "deny"), WebConfigFile.Header(name: "Strict-Transport-Security", value: "max-age=1")]
        #expect(SecurityHeaders.everyResponse(configured).map { "\($0.0): \($0.1)" }
            == ["X-Frame-Options: deny", "Strict-Transport-Security: max-age=1", "X-Content-Type-Options: nosniff"])
        let own = [WebConfigFile.Header(name: "X-Content-Type-Options", value: "nosniff")]
        #expect(SecurityHeaders.everyResponse(own).count == 1)
    }

    @Test("web.dashboards_url must be an absolute http(s) URL without credentials, with a positioned error; web.health_without_auth is a bool")
    func configKeys() throws {
        let ok = try WebDefencesConfigTests.parse("web:\n  dashboards_url: https://grafana.example.com/d/abc\n  health_without_auth: true\n")
        #expect(ok.web.dashboardsURL == "https://grafana.example.com/d/abc" && ok.web.healthWithoutAuth)
        #expect(try WebDefencesConfigTests.parse("web: {}\n").web.healthWithoutAuth == false)
        let rendered = ok.renderedYAML()
        #expect(rendered.contains("  dashboards_url: \"https://grafana.example.com/d/abc\"\n") && rendered.contains("  health_without_auth: true\n"))
        for (bad, message) in [("ftp://grafana/x", "absolute http or https URL"), ("grafana.example.com", "absolute http or https URL"),
                               ("https://admin:pw@grafana/x", "must not hold credentials"), ("\"https://g/x y\"", "without spaces")] {
            do {
                _ = try WebDefencesConfigTests.parse("web:\n  listen_address: \":9633\"\n  dashboards_url: \(bad)\n")
                Issue.record("\(bad) was accepted")
            } catch let error as PositionedError {
                #expect(error.line == 3 && error.field == "web.dashboards_url" && error.message.contains(message), "\(error)")
                #expect(!error.description.contains("pw@"), "\(error)")
            }
        }
        #expect(throws: PositionedError.self) { try WebDefencesConfigTests.parse("web:\n  health_without_auth: maybe\n") }
    }
}

enum HTTPRequestForTests {
    static func get(_ path: String, _ headers: [String: String] = [:]) -> HTTPRequest {
        HTTPRequest(method: "GET", path: path, query: [:], headers: headers, body: [])
    }
}

enum SeriesMillisForTests {
    static func ms(_ d: Date) -> Int64 { Int64((d.timeIntervalSince1970 * 1000).rounded()) }
}
