import Testing
import VigilCore

@Suite("TextFormatParser")
struct TextFormatParserTests {
    @Test("reads HELP, TYPE, labels with escapes, special values and timestamps")
    func basics() throws {
        let text = """
            # HELP pg_up Whether the last scrape was able to connect.\\nSecond line
            # TYPE pg_up gauge
            pg_up 1
            # TYPE pg_locks_count gauge
            pg_locks_count{datname="a\\"b",mode="x\\\\y\\nz"} 3 1700000000000
            # TYPE odd untyped
            odd NaN
            odd{k="v"} -Inf
            plain_without_type +Inf

            """
        let f = try TextFormatParser.parse(text)
        #expect(f.map(\.name) == ["pg_up", "pg_locks_count", "odd", "plain_without_type"])
        #expect(f[0].type == "gauge")
        #expect(f[0].help == "Whether the last scrape was able to connect.\nSecond line")
        #expect(f[0].samples.first?.value == 1)
        let lock = try #require(f[1].samples.first)
        #expect(lock.label("datname") == "a\"b")
        #expect(lock.label("mode") == "x\\y\nz")
        #expect(lock.timestamp == 1_700_000_000_000)
        #expect(f[1].labelNames == ["datname", "mode"])
        #expect(f[2].samples.first?.value.isNaN == true)
        #expect(f[2].samples.last?.value == -.infinity)
        #expect(f[3].type == "untyped")
        #expect(f[3].samples.first?.value == .infinity)
    }

    @Test("histogram and summary samples belong to their family; le and quantile are not label names")
    func grouping() throws {
        let text = """
            # TYPE lat histogram
            lat_bucket{q="a",le="0.1"} 1
            lat_bucket{q="a",le="+Inf"} 2
            lat_sum{q="a"} 0.3
            lat_count{q="a"} 2
            # TYPE rpc summary
            rpc{quantile="0.5"} 1
            rpc_sum 2
            rpc_count 3
            """
        let f = try TextFormatParser.parse(text)
        #expect(f.map(\.name) == ["lat", "rpc"])
        #expect(f[0].samples.count == 4)
        #expect(f[0].labelNames == ["q"])
        #expect(f[1].samples.count == 3)
        #expect(f[1].labelNames.isEmpty)
    }

    @Test("round-trips what ExpositionRenderer writes")
    func roundTrip() throws {
        let families: [MetricFamily] = [
            .counter("x_total", "help with \\ backslash", [Sample(["a": "q\"uote", "b": "new\nline"], 2.5)]),
            .histogram("h_seconds", "h", series: [(labels: ["k": "v"], buckets: [(0.1, 1), (1, 3)], sum: 1.5, count: 4)]),
        ]
        let bytes = ExpositionRenderer.render(families, format: .text)
        let parsed = try TextFormatParser.parse(String(decoding: bytes, as: UTF8.self))
        #expect(parsed.map(\.name) == ["x_total", "h_seconds"])
        #expect(parsed[0].help == "help with \\ backslash")
        #expect(parsed[0].samples.first?.label("a") == "q\"uote")
        #expect(parsed[0].samples.first?.label("b") == "new\nline")
        #expect(parsed[1].type == "histogram")
        #expect(parsed[1].samples.count == 5)
        #expect(parsed[1].samples.first(where: { $0.label("le") == "+Inf" })?.value == 4)
    }

    @Test("bad lines are errors with their line number")
    func errors() {
        for (text, line) in [("ok 1\nbroken{a=\"1\" 2", 2), ("x{a=1} 2", 1), ("novalue", 1), ("x 1 notatime", 1)] {
            do {
                _ = try TextFormatParser.parse(text)
                Issue.record("expected an error for \(text)")
            } catch let e as TextFormatParser.ParseError {
                #expect(e.line == line, "\(text): \(e)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}
