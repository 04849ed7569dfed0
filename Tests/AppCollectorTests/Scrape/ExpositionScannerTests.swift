@testable import AppCollector
import Testing
import VigilCore

@Suite struct ExpositionScannerTests {
    func parse(_ text: String, _ format: ScrapeFormat = .text) throws -> ScrapedBody {
        try ExpositionScanner.parse(Array(text.utf8), format: format)
    }

    func names(_ body: ScrapedBody) -> [String] { body.series.map(\.name) }

    @Test("text 0.0.4: histograms and summaries keep their parts in one family, le and quantile normalised")
    func textFamilies() throws {
        let body = try parse("""
            # HELP req_total Requests \\\\ served.\\nSecond line.
            # TYPE req_total counter
            req_total{code="200",method="GET"} 41 1700000000000
            # TYPE lat histogram
            lat_bucket{le="1"} 3
            lat_bucket{le="+Inf"} 4
            lat_sum 2.5
            lat_count 4
            # TYPE sz summary
            sz{quantile="0.5"} 10
            sz_sum 20
            sz_count 2
            untyped_thing{a="x\\"y\\\\z\\nw"} NaN

            """)
        #expect(names(body) == ["req_total", "lat_bucket", "lat_bucket", "lat_sum", "lat_count", "sz", "sz_sum", "sz_count", "untyped_thing"])
        #expect(body.families.map(\.name) == ["req_total", "lat", "sz", "untyped_thing"])
        #expect(body.families.map(\.type) == [.counter, .histogram, .summary, .untyped])
        #expect(body.families[0].help == "Requests \\ served.\nSecond line.")
        #expect(body.series[1].labels == [Label("le", "1.0")])
        #expect(body.series[1].suffix == "_bucket")
        #expect(body.series[5].labels == [Label("quantile", "0.5")])
        #expect(body.series[8].labels == [Label("a", "x\"y\\z\nw")])
        #expect(body.series[8].value.isNaN)
    }

    @Test("OpenMetrics: a counter gives x_total and a gauge x_created; exemplars and timestamps are dropped; # EOF ends the body")
    func openMetrics() throws {
        let body = try parse("""
            # TYPE req counter
            # HELP req Requests \\"served\\".
            req_total{code="200"} 41 1700000000.5 # {trace_id="abc"} 1 1700000000.1
            req_created{code="200"} 1700000000.25
            # TYPE lat histogram
            lat_bucket{le="0.5"} 1
            lat_bucket{le="+Inf"} 2 # {trace_id="x"} 0.7
            lat_count 2
            lat_sum 1.2
            lat_created 1700000000
            # TYPE build info
            build_info{version="1"} 1
            # EOF

            """, .openMetrics)
        #expect(names(body) == ["req_total", "req_created", "lat_bucket", "lat_bucket", "lat_count", "lat_sum", "lat_created", "build_info"])
        #expect(body.families.map(\.name) == ["req_total", "req_created", "lat", "build_info"])
        #expect(body.families.map(\.type) == [.counter, .gauge, .histogram, .gauge])
        #expect(body.families[0].help == "Requests \"served\".")
        #expect(body.series[6].suffix == "_created")
    }

    @Test("refused bodies name their reason", arguments: [
        ("dup 1\ndup 2\n", ScrapeFormat.text, ExpositionError.Reason.duplicate),
        ("x{a=\"1\",b=\"2\"} 1\nx{b=\"2\",a=\"1\"} 1\n", .text, .duplicate),
        ("<html><body>hello</body></html>\n", .text, .parse),
        ("x 1\n", .openMetrics, .parse),
        ("x 1\n# EOF\nx 2\n", .openMetrics, .parse),
        ("x{a=\"1\" 1\n", .text, .parse),
        ("x{a=\"1\",a=\"2\"} 1\n", .text, .parse),
        ("x one\n", .text, .parse),
        ("x 1 12.5\n", .text, .parse),
        ("# TYPE x gauge\n# TYPE x counter\nx 1\n", .text, .parse),
        ("# TYPE x gauges\nx 1\n", .text, .parse),
    ])
    func refused(_ text: String, _ format: ScrapeFormat, _ reason: ExpositionError.Reason) {
        do {
            _ = try ExpositionScanner.parse(Array(text.utf8), format: format)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.reason == reason, "\(error)")
        }
    }

    @Test("a body that is not UTF-8 is refused as a whole")
    func invalidUTF8() {
        let bytes: [UInt8] = Array("ok 1\nbad{a=\"".utf8) + [0xFF, 0xFE] + Array("\"} 1\n".utf8)
        do {
            _ = try ExpositionScanner.parse(bytes, format: .text)
            Issue.record("accepted a body that is not UTF-8")
        } catch {
            #expect(error.reason == .invalidUTF8)
        }
    }

    @Test("text format tolerates blank lines, comments, CRLF and spaces around labels; an empty body has no samples")
    func lenientText() throws {
        let body = try parse("# just a comment\r\n\r\n  x { a = \"1\" , } 2 \r\n")
        #expect(body.series == [ScrapedSeries(name: "x", labels: [Label("a", "1")], value: 2, family: 0, suffix: "")])
        #expect(try parse("").series.isEmpty)
    }

    @Test("Content-Type chooses the parser; anything but OpenMetrics is the text format")
    func format() {
        #expect(ScrapeFormat(contentType: "application/openmetrics-text; version=1.0.0; charset=utf-8") == .openMetrics)
        #expect(ScrapeFormat(contentType: "text/plain; version=0.0.4") == .text)
        #expect(ScrapeFormat(contentType: nil) == .text)
        #expect(ContentNegotiation.format(accept: ScrapeFormat.acceptHeader) == .openMetrics)
    }
}
