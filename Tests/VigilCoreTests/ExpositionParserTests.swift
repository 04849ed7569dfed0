import Testing
@testable import VigilCore

@Suite("Exposition text parser")
struct ExpositionParserTests {
    @Test("families get their TYPE and HELP; histogram and summary parts join their family")
    func families() throws {
        let text = """
        # HELP a_total Things.
        # TYPE a_total counter
        a_total{x="1"} 3
        # TYPE h histogram
        h_bucket{le="0.5"} 1
        h_bucket{le="+Inf"} 2
        h_sum 0.7
        h_count 2
        # TYPE s summary
        s{quantile="0.5"} 1e-3
        s_sum 4
        s_count 5
        plain 7 1700000000000

        """
        let f = try ExpositionParser.parse(text)
        #expect(f.map(\.name) == ["a_total", "h", "s", "plain"])
        #expect(f.map(\.type) == ["counter", "histogram", "summary", "untyped"])
        #expect(f[0].help == "Things.")
        #expect(f[1].samples.count == 4)
        #expect(f[1].labelNames == ["le"])
        #expect(f[1].samples[1].labels["le"] == "+Inf" && f[1].samples[1].value == 2)
        #expect(try ExpositionParser.parse("g +Inf\n")[0].samples[0].value == .infinity)
        #expect(f[2].samples[0].value == 0.001)
        #expect(f[3].samples[0].value == 7)
    }

    @Test("label values keep commas, braces and escaped quotes, backslashes and newlines")
    func escapes() throws {
        let f = try ExpositionParser.parse(#"m{a="x,y}",b="q\"uote",c="back\\slash",d="l\nf"} 1"# + "\n")
        #expect(f[0].samples[0].labels == ["a": "x,y}", "b": "q\"uote", "c": "back\\slash", "d": "l\nf"])
    }

    @Test("malformed lines are errors with their line number", arguments: [
        "m{a=\"x\" 1", "m{a=x} 1", "m one", "m{a=\"x\"}", "{a=\"b\"} 1",
    ])
    func malformed(line: String) {
        #expect(throws: ExpositionParser.ParseError.self) { try ExpositionParser.parse("ok 1\n" + line + "\n") }
    }
}
