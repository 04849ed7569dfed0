import Foundation
import Testing
import VigilTestSupport

/// The status page in a real browser: Debian's Chromium, headless, against the real binary
/// collecting from the PostgreSQL and Redis that scripts/test starts, behind basic auth.
/// Three states (all healthy, a target down, an alert firing), each checked in the DOM after
/// the page's scripts ran and saved as a screenshot; then the silence button and the expire
/// button are clicked through the DevTools protocol and their effect read back from the API.
/// The page runs under its strict Content-Security-Policy: every visit ends with the driver's
/// list of problems (console errors and warnings, exceptions, CSP violations, DevTools issues),
/// which must be empty; a control visit injects an inline script and must see it refused.
@Suite(.serialized) struct StatusPageBrowserTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/browser")
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// bcrypt (cost 4) of "s3cret".
    static let hash = "$2b$04$4h4UqfIor2k1xPOXomdzVeHY7eHkovwEHGGZxj5Sw2kS46j0NxezK"
    static let auth = "Basic " + Data("prom:s3cret".utf8).base64EncodedString()

    /// Where the screenshots go: `VIGIL_TEST_SCREENSHOTS`, else `.build/test-screenshots`.
    static var screenshots: URL {
        let dir = ProcessInfo.processInfo.environment["VIGIL_TEST_SCREENSHOTS"].map { URL(fileURLWithPath: $0) }
            ?? repository.appendingPathComponent(".build/test-screenshots")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The configuration after the `web:` line VigilProcess writes (its listen address first).
    static func config(pg: String, redis: String, down: Bool, firing: Bool, dir: String) -> String {
        """
          config_file: \(dir)/web.yml
          dashboards_url: https://grafana.example.com/d/vigil
        global:
          collect_interval: 2s
          collect_timeout: 2s      # a loaded 2-core machine takes ~0.8 s for a PostgreSQL round
          state_dir: \(dir)/state
        postgres:
          targets:
            - name: primary
              dsn: "\(pg)"
        redis:
          targets:
            - name: cache
              url: "\(redis)"
        \(down ? "    - name: sessions\n      url: \"redis://127.0.0.1:1\"\n" : "")rule_files:
          - \(repository.path)/rules/seed-recording.yml
          - \(dir)/keep.yml
        \(firing ? "  - \(dir)/firing.yml\n" : "")alerting:
          route: {receiver: ops}
          receivers:
            - name: ops

        """
    }

    /// Runs the DevTools driver on `steps`; its results, or a recorded failure.
    static func drive(_ chromium: String, _ steps: [[String: Any]], dir: URL) throws -> [String: Any] {
        let plan = dir.appendingPathComponent("plan-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: ["headers": ["Authorization": auth], "steps": steps]).write(to: plan)
        let out = try Subprocess.run("/usr/bin/python3", [fixtures.appendingPathComponent("cdp-driver.py").path, chromium, plan.path, dir.path], timeout: 120)
        let reply = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any], "driver: \(out.stdout) \(out.stderr)")
        if let error = reply["error"] as? String {
            Issue.record("browser: \(error)\n\((try? String(contentsOf: dir.appendingPathComponent("chromium.log"), encoding: .utf8))?.suffix(2000) ?? "")")
        }
        return reply["results"] as? [String: Any] ?? [:]
    }

    @Test("healthy, a target down, an alert firing: the DOM shows targets, alerts (hostile annotation as text) and sparklines; silence and expire buttons work behind basic auth")
    func statusPageInChromium() throws {
        guard let bin = TestEnvironment.vigilBinary, let pg = TestEnvironment.pgDSN(), let redis = TestEnvironment.redisURL,
              let chromium = TestEnvironment.tool("chromium") else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "basic_auth_users:\n  prom: \"\(Self.hash)\"\n".write(to: dir.appendingPathComponent("web.yml"), atomically: true, encoding: .utf8)
        // A range keeps 10 minutes of history beyond what the seed's rules need, so charts have a window.
        try """
            groups:
              - name: keep
                rules:
                  - record: vigil_collection_ok_10m
                    expr: min_over_time(vigil_collector_success[10m])
            """.write(to: dir.appendingPathComponent("keep.yml"), atomically: true, encoding: .utf8)
        try """
            groups:
              - name: page-test
                rules:
                  - alert: StatusPageTest
                    expr: vector(1)
                    labels:
                      severity: page
                      team: "db<ops>"
                    annotations:
                      summary: 'Injected <img src=x onerror=document.title="pwned"> & "quoted"'
            """.write(to: dir.appendingPathComponent("firing.yml"), atomically: true, encoding: .utf8)

        func config(down: Bool, firing: Bool) -> String {
            Self.config(pg: pg, redis: redis, down: down, firing: firing, dir: dir.path)
        }
        let vigil = try VigilProcess(binary: bin, config: config(down: false, firing: false))
        func rewrite(down: Bool, firing: Bool) throws { try vigil.write(config: config(down: down, firing: firing)) }
        let headers = ["Authorization": Self.auth]
        #expect(eventually(30) { (try? vigil.get("/-/healthy", headers: headers).status) == 200 }, "\(vigil.log)")
        func page() -> String { (try? vigil.get("/", headers: headers, timeout: 10).text) ?? "" }
        #expect((try? vigil.get("/").status) == 401)

        // 1. All healthy, with charts from the seed's recorded series.
        #expect(eventually(40) {
            let p = page()
            return p.contains("data-kind=\"postgres\" data-up=\"1\"") && p.contains("data-kind=\"redis\" data-up=\"1\"")
                && p.contains("data-metric=\"memory_usage_bytes\"") && p.contains("<polyline")
        }, "\(page())\n\(vigil.log)")
        let base = "http://127.0.0.1:\(vigil.port)/"
        let shots = Self.screenshots
        let healthy = try Self.drive(chromium, [
            ["navigate": base],
            // The stylesheet and the script came from Vigil under the page's policy.
            ["eval": "getComputedStyle(document.querySelector('#summary')).fontWeight + ':' + document.styleSheets.length + ':' + document.scripts.length",
             "name": "styled"],
            ["screenshot": shots.appendingPathComponent("status-healthy.png").path, "width": 1100],
            ["problems": "problems"],
        ], dir: dir)
        #expect(healthy["styled"] as? String == "600:1:1", "\(healthy)")
        #expect(healthy["problems"] as? [String] == [], "\(healthy)")
        // The same driver does see a violation: an inline script put into the page is refused and reported.
        let control = try Self.drive(chromium, [
            ["navigate": base],
            ["eval": "var s=document.createElement('script');s.textContent='document.title=\"inline ran\"';document.body.appendChild(s);"
                + "new Promise(function(r){setTimeout(function(){r(document.title)},300)})", "name": "title"],
            ["problems": "problems"],
        ], dir: dir)
        #expect(control["title"] as? String == "Vigil status")
        #expect((control["problems"] as? [String] ?? []).contains { $0.hasPrefix("csp: script-src") }, "\(control)")

        // 2. A target down, with its error.
        try rewrite(down: true, firing: false)
        #expect((try vigil.get("/-/reload", method: "POST", headers: headers)).status == 200)
        #expect(eventually(30) { page().contains("<tr class=\"target\" data-kind=\"redis\" data-up=\"0\"><td>sessions</td>") }, "\(page())")
        let down = try Self.drive(chromium, [["navigate": base], ["screenshot": shots.appendingPathComponent("status-target-down.png").path, "width": 1100],
                                             ["problems": "problems"]], dir: dir)
        #expect(down["problems"] as? [String] == [], "\(down)")

        // 3. An alert firing. First the page as chromium --dump-dom serializes it after its scripts ran.
        try rewrite(down: true, firing: true)
        #expect((try vigil.get("/-/reload", method: "POST", headers: headers)).status == 200)
        // A reload starts the targets afresh: wait for the PostgreSQL target's first collection too.
        #expect(eventually(30) {
            let p = page()
            return p.contains("<article class=\"alert firing\" data-alertname=\"StatusPageTest\">")
                && p.contains("<tr class=\"target\" data-kind=\"postgres\" data-up=\"1\"><td>primary</td>")
        }, "\(page())")
        let dumped = try Subprocess.run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                                  "--user-data-dir=\(dir.path)/dump-profile", "--dump-dom",
                                                  "http://prom:s3cret@127.0.0.1:\(vigil.port)/"], timeout: 90)
        let dom = dumped.stdout
        #expect(dom.contains("<tr class=\"target\" data-kind=\"postgres\" data-up=\"1\"><td>primary</td>"), "\(dom.prefix(3000)) \(dumped.stderr.suffix(1500))")
        #expect(dom.contains("<tr class=\"target\" data-kind=\"redis\" data-up=\"0\"><td>sessions</td>"))
        #expect(dom.contains("data-alertname=\"StatusPageTest\"") && dom.contains("<span class=\"pill bad\">firing</span>"))
        #expect(dom.contains("<svg class=\"spark\"") && dom.contains("<polyline points="))
        #expect(dom.contains("Injected &lt;img src=x onerror=document.title=\"pwned\"&gt; &amp; \"quoted\""), "\(dom)")
        #expect(!dom.contains("<img") && dom.contains("team=\"db&lt;ops&gt;\""))
        #expect(dom.contains("<title>Vigil status</title>") && !dom.contains("pwned</title>"))
        #expect(dom.contains("href=\"https://grafana.example.com/d/vigil\""))

        // The silence button: fill the form and submit it as a user would; the page's own script
        // posts to the silence API with the browser's credentials.
        let submit = """
            new Promise(function(resolve){var f=document.querySelector('article[data-alertname="StatusPageTest"] form.silence-form');
            f.closest('details').open=true;f.elements.duration.value='45m';f.elements.comment.value='clicked in chromium';
            f.querySelector('button[type=submit]').click();var t0=Date.now();
            (function poll(){var id=document.body.getAttribute('data-silenced');if(id)resolve(id);
            else if(Date.now()-t0>15000)resolve('timeout: '+f.querySelector('.result').textContent);else setTimeout(poll,50);})();})
            """
        let results = try Self.drive(chromium, [
            ["navigate": base],
            ["eval": "document.querySelectorAll('img').length + ':' + document.title", "name": "injected"],
            ["screenshot": shots.appendingPathComponent("status-firing.png").path, "width": 1100],
            ["screenshot": shots.appendingPathComponent("status-firing-phone.png").path, "width": 390],
            ["eval": submit, "name": "silenced", "timeout": 30],
            // The page reloads itself after the silence: wait for the reloaded page's banner.
            ["wait": "document.readyState === 'complete' && !document.body.hasAttribute('data-silenced')", "timeout": 15],
            ["problems": "problems"],
        ], dir: dir)
        #expect(results["problems"] as? [String] == [], "\(results)")
        #expect(results["injected"] as? String == "0:Vigil status")
        let id = try #require(results["silenced"] as? String)
        #expect(!id.hasPrefix("timeout"), "\(id)")
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(try vigil.get("/api/v2/silences", headers: headers).body)) as? [[String: Any]])
        let silence = try #require(listed.first { $0["id"] as? String == id })
        #expect(silence["comment"] as? String == "clicked in chromium" && (silence["status"] as? [String: Any])?["state"] as? String == "active")
        let matchers = (silence["matchers"] as? [[String: Any]] ?? []).map { "\($0["name"] ?? "")=\($0["value"] ?? "")" }.sorted()
        #expect(matchers == ["alertname=StatusPageTest", "severity=page", "team=db<ops>"])
        if let ends = (silence["endsAt"] as? String).flatMap({ try? Date($0, strategy: .iso8601) }) {
            #expect(abs(ends.timeIntervalSinceNow - 45 * 60) < 120)
        }
        #expect(eventually(10) { page().contains("<span class=\"pill\">silenced</span>") })

        // The expire button of that silence.
        let expire = """
            new Promise(function(resolve){var b=document.querySelector('button.expire[data-id="\(id)"]');b.click();var t0=Date.now();
            (function poll(){var x=document.body.getAttribute('data-expired');if(x)resolve(x);
            else if(Date.now()-t0>15000)resolve('timeout: '+b.parentNode.querySelector('.result').textContent);else setTimeout(poll,50);})();})
            """
        let expired = try Self.drive(chromium, [["navigate": base], ["eval": expire, "name": "expired", "timeout": 30],
                                                ["wait": "document.readyState === 'complete' && !document.body.hasAttribute('data-expired')", "timeout": 15],
                                                ["problems": "problems"]], dir: dir)
        #expect(expired["expired"] as? String == id)
        #expect(expired["problems"] as? [String] == [], "\(expired)")
        let after = try #require(try JSONSerialization.jsonObject(with: Data(try vigil.get("/api/v2/silence/\(id)", headers: headers).body)) as? [String: Any])
        #expect((after["status"] as? [String: Any])?["state"] as? String == "expired")
        #expect(!page().contains("<span class=\"pill\">silenced</span>"))
        for name in ["status-healthy", "status-target-down", "status-firing", "status-firing-phone"] {
            let png = shots.appendingPathComponent("\(name).png")
            let bytes = (try? Data(contentsOf: png)) ?? Data()
            #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) && bytes.count > 10_000, "\(png.path)")
        }
        print("status page screenshots: \(shots.path)/status-*.png")
        // Secrets never reach the page: the DSN's password (if any) is not in it.
        if let password = URLComponents(string: pg)?.password, !password.isEmpty { #expect(!page().contains(password)) }
    }
}
