import Testing
@testable import Rules

@Suite("Template nesting limit")
struct TemplateDepthTests {
    static func ifs(_ n: Int) -> String {
        String(repeating: "{{ if true }}", count: n) + "{{ $value }}" + String(repeating: "{{ end }}", count: n)
    }

    static func parens(_ n: Int) -> String {
        "{{ " + String(repeating: "(", count: n) + "$value" + String(repeating: ")", count: n) + " }}"
    }

    static let data = Template.Data(labels: [:], value: 7)

    @Test("blocks and parentheses nested up to the limit parse and expand on a small stack")
    func atTheLimit() {
        // The top-level list is one level and the innermost pipeline another.
        let blocks = Self.ifs(TemplateParser.maxDepth - 2)
        let parens = Self.parens(TemplateParser.maxDepth - 2)
        let mixed = String(repeating: "{{ with (((1))) }}", count: 10) + "{{ ((($value))) }}" + String(repeating: "{{ end }}", count: 10)
        let out = SmallStackThread.run(stackSize: 1 << 20) {
            [blocks, parens, mixed].map { text -> String in
                do { return try Template(text).execute(Self.data) } catch { return "\(error)" }
            }
        }
        #expect(out == ["7", "7", "7"])
    }

    @Test("one level over the limit is an error naming the limit")
    func overTheLimit() {
        for text in [Self.ifs(TemplateParser.maxDepth - 1), Self.parens(TemplateParser.maxDepth - 1)] {
            #expect {
                try Template(text)
            } throws: { error in
                "\(error)".contains("template nested too deeply (more than \(TemplateParser.maxDepth) levels")
            }
        }
    }

    @Test("10,000 nested blocks or parentheses are an error, not a stack overflow")
    func tenThousand() {
        let failed = SmallStackThread.run(stackSize: 1 << 20) {
            [Self.ifs(10_000), Self.parens(10_000)].map { (try? Template($0)) == nil }
        }
        #expect(failed == [true, true])
    }
}

@Suite("Template execution budget")
struct TemplateBudgetTests {
    /// 200 samples per query: three nested ranges would be 8 × 10^6 iterations.
    static let data = Template.Data(labels: [:], value: 1, query: { _ in
        (0..<200).map { VectorSample(labels: ["__name__": "up", "i": "\($0)"], value: Double($0)) }
    })

    @Test("nested ranges over large query results stop at the step budget with an error, quickly")
    func nestedRanges() {
        let text = "{{ range query \"up\" }}{{ range query \"up\" }}{{ range query \"up\" }}x{{ end }}{{ end }}{{ end }}"
        let start = ContinuousClock.now
        #expect {
            try Template(text).execute(Self.data)
        } throws: { error in
            "\(error)" == "template execution stopped after \(Template.maxSteps) steps"
        }
        #expect(ContinuousClock.now - start < .seconds(60))
    }

    @Test("output beyond the budget is an error, not unbounded memory")
    func output() {
        let text = "{{ range query \"up\" }}{{ range query \"up\" }}{{ printf \"%1000000s\" \"x\" }}{{ end }}{{ end }}"
        #expect {
            try Template(text).execute(Self.data)
        } throws: { error in
            "\(error)" == "template output exceeds \(Template.maxOutputBytes) bytes"
        }
    }

    @Test("a template within both budgets expands as before")
    func within() throws {
        let out = try Template("{{ range query \"up\" }}{{ .Value }},{{ end }}").execute(Self.data)
        #expect(out.split(separator: ",").count == 200)
    }
}
