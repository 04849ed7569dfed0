import Foundation
import Rules
import VigilCore

/// The status page at `/`: one HTML document with no inline script, style or event handler,
/// so it runs under a strict Content-Security-Policy (`SecurityHeaders.page`). Its stylesheet
/// and its few lines of JavaScript (the silence buttons) are `StaticAsset`s compiled into the
/// binary and served by Vigil itself under content-hashed names (nothing loaded from elsewhere:
/// the page works on an air-gapped host; readable on a phone).
/// `render` is a pure function of `State`; `StatusPageSource` fills the state from what is
/// already in memory. Every value from outside goes through `HTML.escape`; values the script
/// needs travel in `data-` attributes (escaped JSON), never inside the script.
enum StatusPage {
    struct Target: Sendable, Equatable {
        var kind: String
        var name: String
        var up: Bool?
        var lastCollection: Date?
        var duration: Double
        var lastError: String?
    }

    struct AlertRow: Sendable, Equatable {
        var name: String
        /// `firing` or `pending`.
        var state: String
        var labels: [(name: String, value: String)]
        var annotations: [(name: String, value: String)]
        var activeAt: Date
        var firedAt: Date?
        var value: Double
        /// Ids of the active silences muting it.
        var silencedBy: [String]

        static func == (a: AlertRow, b: AlertRow) -> Bool {
            a.name == b.name && a.state == b.state && a.labels.map { "\($0.name)=\($0.value)" } == b.labels.map { "\($0.name)=\($0.value)" }
                && a.annotations.map { "\($0.name)=\($0.value)" } == b.annotations.map { "\($0.name)=\($0.value)" }
                && a.activeAt == b.activeAt && a.firedAt == b.firedAt && a.silencedBy == b.silencedBy
        }
    }

    struct SilenceRow: Sendable, Equatable {
        var id: String
        var matchers: String
        /// `active`, `pending` or `expired`.
        var state: String
        var startsAt: Date
        var endsAt: Date
        var createdBy: String
        var comment: String
    }

    struct GroupRow: Sendable, Equatable {
        var name: String
        var file: String
        var interval: Double
        var rules: Int
        var lastEvaluation: Date?
        var evaluationSeconds: Double
        /// Rule name → last error, for the rules whose last evaluation failed.
        var errors: [String]
    }

    struct ReceiverRow: Sendable, Equatable {
        var name: String
        var outboxDepth: Int
        var oldestWaiting: Date?
        var lastDelivery: Date?
        /// The last failure of a waiting notification (status or error class, no secrets).
        var lastError: String?
    }

    struct Chart: Sendable, Equatable {
        var title: String
        var metric: String
        var unit: Unit
        var series: [Series]

        struct Series: Sendable, Equatable {
            var labels: String
            var points: [Point]
        }

        struct Point: Sendable, Equatable {
            var t: Int64
            var v: Double
        }
    }

    enum Unit: Sendable, Equatable {
        case seconds, bytes, ratio, count
    }

    struct State: Sendable {
        var version: String
        var now: Date
        var ready: Bool
        var targets: [Target] = []
        var alertingRules: Bool = true
        var alerts: [AlertRow] = []
        /// nil when no `alerting` section is configured (no silences, no receivers).
        var silences: [SilenceRow]?
        var groups: [GroupRow] = []
        var receivers: [ReceiverRow]?
        var charts: [Chart] = []
        /// The window the charts cover, milliseconds.
        var chartWindow: Int64 = 0
        var dashboardsURL: String?
    }

    static let kindTitles: [(kind: String, title: String)] = [
        ("postgres", "PostgreSQL"), ("redis", "Redis"), ("scrape", "App scrapes"), ("probe", "Probes"), ("backup", "Backups"),
    ]

    static func title(ofKind kind: String) -> String {
        if let known = kindTitles.first(where: { $0.kind == kind }) { return known.title }
        return kind == "process" || kind == "notify" ? "Vigil itself" : kind
    }

    // MARK: render

    static func render(_ s: State) -> String {
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Vigil status</title>
            <link rel="icon" href="data:,">
            <link rel="stylesheet" href="\(stylesheet.relativePath)">
            <script src="\(scriptAsset.relativePath)" defer></script>
            </head><body>
            <header><h1>Vigil</h1><span class="muted">\(HTML.escape(s.version)) · \(HTML.escape(timestamp(s.now)))\(s.ready ? "" : " · <b class=\"warn\">not ready</b>")</span>
            <nav><a href="metrics">/metrics</a> <a href="api/v1/alerts">alerts API</a> <a href="api/v1/rules">rules API</a>\(s.silences == nil ? "" : " <a href=\"api/v2/silences\">silences API</a>")\(s.dashboardsURL.map { " <a href=\"\(HTML.escape($0))\" rel=\"noopener noreferrer\">Dashboards</a>" } ?? "") <a href="-/healthy">/-/healthy</a> <a href="-/ready">/-/ready</a></nav>
            </header>
            <main>

            """
        h += summary(s)
        h += targets(s)
        h += alerts(s)
        if let silences = s.silences { h += self.silences(silences, now: s.now) }
        h += charts(s)
        h += groups(s)
        if let receivers = s.receivers { h += self.receivers(receivers, now: s.now) }
        h += "</main>\n</body></html>\n"
        return h
    }

    static func summary(_ s: State) -> String {
        let down = s.targets.filter { $0.up == false }.count
        let firing = s.alerts.filter { $0.state == "firing" }.count
        let pending = s.alerts.filter { $0.state == "pending" }.count
        let tone = down > 0 || firing > 0 ? "bad" : (pending > 0 ? "warn" : "ok")
        return "<p id=\"summary\" class=\"summary \(tone)\">\(s.targets.count - down)/\(s.targets.count) targets up · \(firing) firing · \(pending) pending</p>\n"
    }

    static func targets(_ s: State) -> String {
        var h = "<section id=\"targets\"><h2>Targets</h2>\n"
        var titles = kindTitles.map(\.title)
        for t in s.targets where !titles.contains(title(ofKind: t.kind)) { titles.append(title(ofKind: t.kind)) }
        for title in titles {
            let rows = s.targets.filter { self.title(ofKind: $0.kind) == title }
            guard !rows.isEmpty else { continue }
            h += "<h3>\(HTML.escape(title))</h3>\n<table class=\"targets\"><thead><tr><th>Target</th><th>State</th><th>Last collection</th><th>Took</th><th>Last error</th></tr></thead><tbody>\n"
            for t in rows {
                let state = t.up.map { $0 ? "<span class=\"pill ok\">up</span>" : "<span class=\"pill bad\">down</span>" }
                    ?? "<span class=\"pill\">waiting</span>"
                h += "<tr class=\"target\" data-kind=\"\(HTML.escape(t.kind))\" data-up=\"\(t.up.map { $0 ? "1" : "0" } ?? "")\">"
                    + "<td>\(HTML.escape(t.name))</td><td>\(state)</td>"
                    + "<td>\(t.lastCollection.map { HTML.escape(ago($0, now: s.now)) } ?? "—")</td>"
                    + "<td>\(t.lastCollection == nil ? "—" : HTML.escape(seconds(t.duration)))</td>"
                    + "<td class=\"err\">\(t.lastError.map { HTML.escape(redact($0)) } ?? "")</td></tr>\n"
            }
            h += "</tbody></table>\n"
        }
        if s.targets.isEmpty { h += "<p class=\"muted\">No targets are configured.</p>\n" }
        return h + "</section>\n"
    }

    static func alerts(_ s: State) -> String {
        var h = "<section id=\"alerts\"><h2>Alerts</h2>\n"
        guard !s.alerts.isEmpty else {
            return h + "<p class=\"muted\">\(s.alertingRules ? "No alert is firing or pending." : "No alerting rules are loaded.")</p></section>\n"
        }
        let ordered = s.alerts.filter { $0.state == "firing" } + s.alerts.filter { $0.state != "firing" }
        for a in ordered {
            let matchers = a.labels.map { ["name": $0.name, "value": $0.value, "isRegex": false, "isEqual": true] as [String: Any] }
            let json = (try? JSONSerialization.data(withJSONObject: matchers, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
            h += "<article class=\"alert \(a.state == "firing" ? "firing" : "pending")\" data-alertname=\"\(HTML.escape(a.name))\">"
            h += "<h3><span class=\"pill \(a.state == "firing" ? "bad" : "warn")\">\(HTML.escape(a.state))</span> \(HTML.escape(a.name))"
            if !a.silencedBy.isEmpty { h += " <span class=\"pill\">silenced</span>" }
            h += "</h3>\n<p class=\"muted\">"
            h += a.state == "firing" ? "firing since \(HTML.escape(timestamp(a.firedAt ?? a.activeAt))) (\(HTML.escape(ago(a.firedAt ?? a.activeAt, now: s.now))))"
                : "pending since \(HTML.escape(timestamp(a.activeAt))) (\(HTML.escape(ago(a.activeAt, now: s.now))))"
            h += " · value \(HTML.escape(number(a.value)))</p>\n<p class=\"labels\">"
            h += a.labels.filter { $0.name != "alertname" }.map { "<code>\(HTML.escape($0.name))=\"\(HTML.escape($0.value))\"</code>" }.joined(separator: " ")
            h += "</p>\n"
            if !a.annotations.isEmpty {
                h += "<dl>" + a.annotations.map { "<dt>\(HTML.escape($0.name))</dt><dd>\(HTML.escape($0.value))</dd>" }.joined() + "</dl>\n"
            }
            if s.silences != nil {
                h += "<details class=\"silence\"><summary>Silence…</summary><form class=\"silence-form\" data-matchers=\"\(HTML.escape(json))\">"
                    + "<label>For <input name=\"duration\" value=\"2h\" size=\"5\" required></label> "
                    + "<label>By <input name=\"author\" value=\"status page\" size=\"10\" required></label> "
                    + "<label>Comment <input name=\"comment\" placeholder=\"why\" required></label> "
                    + "<button type=\"submit\">Silence</button> <output class=\"result\"></output></form></details>\n"
            }
            h += "</article>\n"
        }
        return h + "</section>\n"
    }

    static func silences(_ list: [SilenceRow], now: Date) -> String {
        var h = "<section id=\"silences\"><h2>Silences</h2>\n"
        let shown = list.filter { $0.state != "expired" }
        guard !shown.isEmpty else { return h + "<p class=\"muted\">No active or pending silence.</p></section>\n" }
        h += "<table><thead><tr><th>Matchers</th><th>State</th><th>Ends</th><th>By</th><th>Comment</th><th></th></tr></thead><tbody>\n"
        for s in shown {
            h += "<tr class=\"silence-row\" data-id=\"\(HTML.escape(s.id))\"><td class=\"wrap\"><code>\(HTML.escape(s.matchers))</code></td><td>\(HTML.escape(s.state))</td>"
                + "<td>\(HTML.escape(timestamp(s.endsAt)))</td><td>\(HTML.escape(s.createdBy))</td><td class=\"wrap\">\(HTML.escape(s.comment))</td>"
                + "<td><button class=\"expire\" type=\"button\" data-id=\"\(HTML.escape(s.id))\">Expire</button> <output class=\"result\"></output></td></tr>\n"
        }
        return h + "</tbody></table></section>\n"
    }

    static func charts(_ s: State) -> String {
        guard !s.charts.isEmpty else { return "" }
        let to = SeriesHistory.milliseconds(s.now), from = to - s.chartWindow
        var h = "<section id=\"charts\"><h2>Last \(HTML.escape(PromDuration.format(Double(s.chartWindow / 1000))))</h2><div class=\"charts\">\n"
        let spark = Sparkline(maxGap: max(60_000, s.chartWindow / 10))
        for c in s.charts {
            for series in c.series {
                let last = series.points.last(where: { $0.v.isFinite })?.v
                let label = c.title + (series.labels.isEmpty ? "" : " " + series.labels)
                h += "<figure class=\"chart\" data-metric=\"\(HTML.escape(c.metric))\"><figcaption>\(HTML.escape(c.title))"
                    + (series.labels.isEmpty ? "" : " <span class=\"muted\">\(HTML.escape(series.labels))</span>")
                    + "<b>\(last.map { HTML.escape(format($0, c.unit)) } ?? "—")</b></figcaption>"
                    + spark.svg(series.points.map { ($0.t, $0.v) }, from: from, to: to, label: label) + "</figure>\n"
            }
        }
        return h + "</div></section>\n"
    }

    static func groups(_ s: State) -> String {
        var h = "<section id=\"rules\"><h2>Rule groups</h2>\n"
        guard !s.groups.isEmpty else { return h + "<p class=\"muted\">No rule files are loaded.</p></section>\n" }
        h += "<table><thead><tr><th>Group</th><th>Health</th><th>Rules</th><th>Every</th><th>Last evaluation</th><th>Took</th></tr></thead><tbody>\n"
        for g in s.groups {
            let health = g.lastEvaluation == nil ? "<span class=\"pill\">unknown</span>"
                : (g.errors.isEmpty ? "<span class=\"pill ok\">ok</span>" : "<span class=\"pill bad\">err</span>")
            h += "<tr><td>\(HTML.escape(g.name))<br><span class=\"muted\">\(HTML.escape(g.file))</span></td><td>\(health)</td><td>\(g.rules)</td>"
                + "<td>\(HTML.escape(PromDuration.format(g.interval)))</td>"
                + "<td>\(g.lastEvaluation.map { HTML.escape(ago($0, now: s.now)) } ?? "—")</td>"
                + "<td>\(g.lastEvaluation == nil ? "—" : HTML.escape(seconds(g.evaluationSeconds)))</td></tr>\n"
            for e in g.errors { h += "<tr><td colspan=\"6\" class=\"err\">\(HTML.escape(redact(e)))</td></tr>\n" }
        }
        return h + "</tbody></table></section>\n"
    }

    static func receivers(_ list: [ReceiverRow], now: Date) -> String {
        var h = "<section id=\"notifications\"><h2>Notifications</h2>\n"
        guard !list.isEmpty else { return h + "<p class=\"muted\">No receivers.</p></section>\n" }
        h += "<table><thead><tr><th>Receiver</th><th>Waiting in outbox</th><th>Oldest waiting</th><th>Last delivery</th><th>Last failure</th></tr></thead><tbody>\n"
        for r in list {
            h += "<tr class=\"receiver\"><td>\(HTML.escape(r.name))</td><td>\(r.outboxDepth)</td>"
                + "<td>\(r.oldestWaiting.map { HTML.escape(ago($0, now: now)) } ?? "—")</td>"
                + "<td>\(r.lastDelivery.map { HTML.escape(ago($0, now: now)) } ?? "none yet")</td>"
                + "<td class=\"err\">\(r.lastError.map { HTML.escape(redact($0)) } ?? "")</td></tr>\n"
        }
        return h + "</tbody></table></section>\n"
    }

    // MARK: formatting

    /// Secrets that may sit in an error text: URL passwords and `password=` values.
    static func redact(_ text: String) -> String {
        var s = String(text.prefix(1000))
        s = s.replacingOccurrences(of: "([A-Za-z][A-Za-z0-9+.-]*://[^/\\s:@]*):[^@\\s/]*@", with: "$1:\(Redaction.mask)@",
                                   options: .regularExpression)
        s = s.replacingOccurrences(of: "(?i)(password\\s*=\\s*)('[^']*'|[^\\s&]+)", with: "$1\(Redaction.mask)", options: .regularExpression)
        return s
    }

    static func timestamp(_ d: Date) -> String {
        d.formatted(Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon)) + " UTC"
    }

    static func ago(_ d: Date, now: Date) -> String {
        // A collection that lands while the page is being put together is "just now", not "in 1s".
        let s = now.timeIntervalSince(d)
        if s < 1 { return "just now" }
        return PromDuration.format(s.rounded()) + " ago"
    }

    static func seconds(_ s: Double) -> String {
        s < 1 ? "\(Int((s * 1000).rounded())) ms" : String(format: "%.2f s", s)
    }

    static func number(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "NaN" : (v > 0 ? "+Inf" : "-Inf") }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.4g", v)
    }

    static func format(_ v: Double, _ unit: Unit) -> String {
        guard v.isFinite else { return number(v) }
        switch unit {
        case .seconds: return v < 1 ? String(format: "%.1f ms", v * 1000) : String(format: "%.2f s", v)
        case .ratio: return String(format: "%.1f %%", v * 100)
        case .bytes:
            let units = ["B", "KiB", "MiB", "GiB", "TiB"]
            var x = v, i = 0
            while abs(x) >= 1024, i < units.count - 1 { x /= 1024; i += 1 }
            return i == 0 ? "\(Int(x)) B" : String(format: "%.1f %@", x, units[i])
        case .count: return number(v.rounded() == v ? v : (v * 100).rounded() / 100)
        }
    }

    // MARK: assets (compiled in and served by Vigil: the page works on an air-gapped host)

    /// `css` at `/static/status.<hash>.css`.
    static let stylesheet = StaticAsset(name: "status", ext: "css", contentType: "text/css; charset=utf-8", text: css)
    /// `script` at `/static/status.<hash>.js`.
    static let scriptAsset = StaticAsset(name: "status", ext: "js", contentType: "text/javascript; charset=utf-8", text: script)
    static let assets = [stylesheet, scriptAsset]

    static let css = """
        :root{color-scheme:light dark;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--mute:#6e7781;--line:#d0d7de}
        body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:0 12px 24px;max-width:1100px;margin-inline:auto}
        header{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 14px;border-bottom:1px solid var(--line);padding:10px 0}
        h1{font-size:22px;margin:0}h2{font-size:18px;margin:22px 0 8px}h3{font-size:15px;margin:12px 0 6px}
        nav{display:flex;flex-wrap:wrap;gap:4px 12px;width:100%}a{color:#0969da}
        .muted{color:var(--mute);font-size:13px}.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}
        .summary{font-weight:600;font-size:16px;margin:14px 0 0}
        table{border-collapse:collapse;width:100%;display:block;overflow-x:auto}
        th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}td{white-space:nowrap}td.err,td.wrap{white-space:normal}th{font-size:13px;color:var(--mute);font-weight:600}
        td.err{color:var(--bad);font-size:13px;word-break:break-word;min-width:14em;max-width:420px}
        .pill{display:inline-block;border-radius:9px;padding:0 8px;font-size:12px;font-weight:600;border:1px solid currentColor;color:var(--mute)}
        .pill.ok{color:var(--ok)}.pill.bad{color:var(--bad)}.pill.warn{color:var(--warn)}
        article.alert{border:1px solid var(--line);border-left:4px solid var(--warn);border-radius:6px;padding:4px 10px;margin:8px 0}
        article.alert.firing{border-left-color:var(--bad)}article.alert p{margin:4px 0}
        code{font-size:12.5px;background:rgba(127,127,127,.12);padding:1px 4px;border-radius:4px;word-break:break-word}
        dl{margin:4px 0;display:grid;grid-template-columns:max-content 1fr;gap:2px 10px}dt{color:var(--mute);font-size:13px}dd{margin:0;word-break:break-word}
        details.silence{margin:6px 0}form{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin-top:6px}
        input{font:inherit;padding:2px 4px}button{font:inherit;padding:2px 10px;cursor:pointer}output{font-size:13px}
        .charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:10px}
        figure.chart{margin:0;border:1px solid var(--line);border-radius:6px;padding:6px 8px}
        figcaption{font-size:13px;display:flex;flex-wrap:wrap;gap:0 6px;justify-content:space-between}
        svg.spark{display:block;width:100%;height:32px;fill:#0969da;stroke:#0969da}svg.spark polyline{fill:none;stroke-width:1.5}
        """

    /// The silence buttons: POST `api/v2/silences` with the alert's labels as equality
    /// matchers (read from the form's `data-matchers`), DELETE `api/v2/silence/{id}` to expire.
    /// URLs relative to the page, built on `location.origin` (never on a URL holding
    /// `user:password@`, which fetch refuses); same origin, so the browser sends the basic-auth
    /// credentials it holds.
    static let script = """
        function vigilDuration(s){var m=/^\\s*(?:(\\d+)w)?(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?\\s*$/.exec(s||"");if(!m)return null;
        var u=[604800,86400,3600,60,1],t=0;for(var i=0;i<5;i++){if(m[i+1])t+=parseInt(m[i+1],10)*u[i];}return t>0?t*1000:null;}
        function vigilSend(method,path,body,out,done){out.textContent="…";
        var url=location.origin+location.pathname.replace(/[^/]*$/,"")+path;
        fetch(url,{method:method,credentials:"same-origin",headers:body?{"Content-Type":"application/json"}:{},body:body?JSON.stringify(body):undefined})
        .then(function(r){return r.text().then(function(t){if(r.ok){done(t);setTimeout(function(){location.reload();},600);}else{out.textContent="failed ("+r.status+"): "+t;}});})
        .catch(function(e){out.textContent="failed: "+e;});}
        document.addEventListener("submit",function(e){var f=e.target;if(!f.classList||!f.classList.contains("silence-form"))return;e.preventDefault();
        var out=f.querySelector(".result"),ms=vigilDuration(f.elements.duration.value);if(ms===null){out.textContent="invalid duration (e.g. 30m, 2h, 1d)";return;}
        var now=new Date();vigilSend("POST","api/v2/silences",{matchers:JSON.parse(f.dataset.matchers),startsAt:now.toISOString(),
        endsAt:new Date(now.getTime()+ms).toISOString(),createdBy:f.elements.author.value,comment:f.elements.comment.value},out,
        function(t){var id="";try{id=JSON.parse(t).silenceID;}catch(x){}out.textContent="silenced "+id;document.body.setAttribute("data-silenced",id);});});
        document.addEventListener("click",function(e){var b=e.target;if(!b.classList||!b.classList.contains("expire"))return;
        var out=b.parentNode.querySelector(".result");vigilSend("DELETE","api/v2/silence/"+encodeURIComponent(b.dataset.id),null,out,
        function(){out.textContent="expired";document.body.setAttribute("data-expired",b.dataset.id);});});
        """
}

