import Testing
@testable import VigilCore

@Suite("Exposition renderer")
struct ExpositionRendererTests {
    private func text(_ f: [MetricFamily], _ format: ExpositionFormat) -> String {
        String(decoding: ExpositionRenderer.render(f, format: format), as: UTF8.self)
    }

    @Test("a counter named x_total is declared as x in OpenMetrics and keeps its sample name")
    func counterTotal() {
        let f = MetricFamily.counter("vigil_things_total", "Things.", [Sample(["a": "b"], 3)])
        #expect(text([f], .openMetrics) == "# TYPE vigil_things counter\n# HELP vigil_things Things.\nvigil_things_total{a=\"b\"} 3\n# EOF\n")
        #expect(text([f], .text) == "# HELP vigil_things_total Things.\n# TYPE vigil_things_total counter\nvigil_things_total{a=\"b\"} 3\n")
    }

    @Test("a counter keeping a peer's name without _total is typed unknown in OpenMetrics, not renamed")
    func peerCounter() {
        let f = MetricFamily.counter("pg_stat_database_xact_commit", "Commits.", [Sample(["datname": "x"], 7)])
        let om = text([f], .openMetrics)
        #expect(om.contains("# TYPE pg_stat_database_xact_commit unknown\n"))
        #expect(om.contains("pg_stat_database_xact_commit{datname=\"x\"} 7\n"))
        #expect(text([f], .text).contains("# TYPE pg_stat_database_xact_commit counter\n"))
    }

    @Test("untyped families are unknown in OpenMetrics and untyped in text")
    func untyped() {
        let f = MetricFamily.untyped("x", "X.", [Sample(Labels(), 1)])
        #expect(text([f], .openMetrics).contains("# TYPE x unknown"))
        #expect(text([f], .text).contains("# TYPE x untyped"))
    }

    @Test("label values escape backslash, quote and newline; HELP escapes backslash and newline")
    func escaping() {
        let f = MetricFamily.gauge("g", "a\\b\nc \"q\"", value: 1, labels: ["l": "x\\y\"z\nw"])
        let t = text([f], .text)
        #expect(t.contains("# HELP g a\\\\b\\nc \"q\"\n"))
        #expect(t.contains("g{l=\"x\\\\y\\\"z\\nw\"} 1\n"))
        #expect(text([f], .openMetrics).contains("# HELP g a\\\\b\\nc \\\"q\\\"\n"))
    }

    @Test("values: integers without a fraction, NaN and infinities spelled as Prometheus does")
    func values() {
        #expect(formatValue(3) == "3")
        #expect(formatValue(-2) == "-2")
        #expect(formatValue(0.25) == "0.25")
        #expect(formatValue(.nan) == "NaN")
        #expect(formatValue(.infinity) == "+Inf")
        #expect(formatValue(-.infinity) == "-Inf")
        #expect(formatValue(1e20) == "1e+20")
    }

    @Test("a histogram renders cumulative buckets with +Inf, then _sum and _count")
    func histogram() {
        let f = MetricFamily.histogram("h_seconds", "H.", series: [(Labels(), [(0.1, 1), (1, 3)], 2.5, 4)])
        #expect(text([f], .text) == """
            # HELP h_seconds H.
            # TYPE h_seconds histogram
            h_seconds_bucket{le="0.1"} 1
            h_seconds_bucket{le="1"} 3
            h_seconds_bucket{le="+Inf"} 4
            h_seconds_sum 2.5
            h_seconds_count 4

            """)
    }

    @Test("families without samples are left out")
    func emptyFamilies() {
        #expect(text([.gauge("g", "G.", [])], .text) == "")
        #expect(text([.gauge("g", "G.", [])], .openMetrics) == "# EOF\n")
    }
}

@Suite("Content negotiation")
struct ContentNegotiationTests {
    @Test("Prometheus 3's default Accept header gets OpenMetrics")
    func prometheus3() {
        let accept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1"
        #expect(ContentNegotiation.format(accept: accept) == .openMetrics)
    }

    @Test("a scraper preferring text gets text")
    func textPreferred() {
        #expect(ContentNegotiation.format(accept: "text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.5") == .text)
    }

    @Test("no Accept header, */* and unknown types get text")
    func defaults() {
        #expect(ContentNegotiation.format(accept: nil) == .text)
        #expect(ContentNegotiation.format(accept: "*/*") == .text)
        #expect(ContentNegotiation.format(accept: "application/json") == .text)
        #expect(ContentNegotiation.format(accept: "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited") == .text)
    }

    @Test("an OpenMetrics version Vigil does not speak is not chosen")
    func unknownVersion() {
        #expect(ContentNegotiation.format(accept: "application/openmetrics-text;version=2.0.0") == .text)
    }

    @Test("gzip is used when Accept-Encoding lists it without q=0")
    func gzip() {
        #expect(ContentNegotiation.acceptsGzip("gzip"))
        #expect(ContentNegotiation.acceptsGzip("deflate, gzip;q=0.5"))
        #expect(ContentNegotiation.acceptsGzip("*"))
        #expect(!ContentNegotiation.acceptsGzip("gzip;q=0"))
        #expect(!ContentNegotiation.acceptsGzip("identity"))
        #expect(!ContentNegotiation.acceptsGzip(nil))
    }
}

@Suite("Gzip")
struct GzipTests {
    @Test("compressed bodies decompress to the original bytes")
    func roundTrip() throws {
        let body = Array(String(repeating: "pg_up{server=\"a\"} 1\n", count: 500).utf8)
        let z = try #require(Gzip.compress(body))
        #expect(z.count < body.count / 5)
        #expect(z.prefix(2) == [0x1f, 0x8b])
        #expect(Gzip.decompress(z) == body)
    }

    @Test("garbage does not decompress")
    func garbage() {
        #expect(Gzip.decompress([1, 2, 3, 4, 5]) == nil)
    }
}
