import Testing
@testable import Rules

/// Regexes are RE2's, as in Prometheus and Alertmanager (issue 14, class 8): Go's syntax,
/// linear-time matching, and errors that say what is wrong.
@Suite("AnchoredRegex: RE2 syntax, linear time, clear errors")
struct AnchoredRegexTests {
    /// Smallest of several runs of `body`, in nanoseconds (noise only ever adds time).
    static func fastest(_ runs: Int, _ body: () -> Void) -> Double {
        var best = Double.infinity
        let clock = ContinuousClock()
        for _ in 0..<runs {
            let d = clock.measure(body)
            let ns = d.seconds * 1e9
            best = min(best, ns)
        }
        return best
    }

    @Test("a catastrophic backtracking pattern takes time linear in the value's length")
    func linearTime() throws {
        let re = try AnchoredRegex("(a+)+$")
        let short = String(repeating: "a", count: 1_000) + "!"
        let long = String(repeating: "a", count: 10_000) + "!"
        #expect(re.captures(short) == nil)
        #expect(re.captures(long) == nil)
        #expect(!re.matches(String(repeating: "a", count: 60) + "!"))
        #expect(re.captures(String(repeating: "a", count: 10_000))?.first?.count == 10_000)
        // captures() bypasses the answer cache. A backtracking engine needs 2^n steps (it
        // never finishes 1,000 characters); linear time gives a ratio near 10, quadratic 100.
        let tShort = Self.fastest(7) { for _ in 0..<20 { _ = re.captures(short) } }
        let tLong = Self.fastest(7) { for _ in 0..<2 { _ = re.captures(long) } }
        let ratio = tLong / tShort
        #expect(ratio < 40, "10k/1k time ratio \(ratio)")
    }

    @Test("RE2 syntax: Unicode classes, (?U), Perl and POSIX classes, (?P<name>), (?i), (?s) dot",
          arguments: [("\\pL+", "héllo", true), ("\\pL+", "h3llo", false), ("\\p{Greek}+", "αβγ", true),
                      ("\\PL", "1", true), ("[[:alpha:]]+", "abc", true), ("\\d+\\s\\w+", "12 ab_c", true),
                      ("(?i)abc", "ABC", true), ("a.c", "a\nc", true), ("(?P<x>a)b", "ab", true),
                      ("\\Qa.b\\E", "a.b", true), ("\\Qa.b\\E", "axb", false), ("x*", "", true), ("a|b", "ab", false)])
    func syntax(_ pattern: String, _ value: String, _ expected: Bool) throws {
        #expect(try AnchoredRegex(pattern).matches(value) == expected)
    }

    @Test("(?U) makes quantifiers lazy: captures follow Go's leftmost-first rules")
    func ungreedy() throws {
        #expect(try AnchoredRegex("(?U)(a+)(a*)").captures("aaa") == ["aaa", "a", "aa"])
        #expect(try AnchoredRegex("(a+)(a*)").captures("aaa") == ["aaa", "aaa", ""])
        #expect(try AnchoredRegex("(a)|(b)").captures("b") == ["b", "", "b"])
        #expect(try AnchoredRegex("(é+)(.)").captures("ééx") == ["ééx", "éé", "x"])
    }

    @Test("invalid or unsupported regexes are errors that say why",
          arguments: [("(", "missing )"), ("a)|(b", "unexpected )"), ("x{1001}", "invalid repetition size"),
                      ("(?<=a)b", "invalid perl operator"), ("(a)\\1", "invalid escape sequence"), ("[z-a]", "invalid character class range"),
                      ("\\p{Nope}", "invalid character class range")])
    func invalid(_ pattern: String, _ reason: String) {
        do {
            _ = try AnchoredRegex(pattern)
            Issue.record("\(pattern) compiled")
        } catch {
            #expect(error.description.hasPrefix("invalid regular expression \(PromQLString.quote(pattern)): "), "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
        }
    }

    @Test("a pattern too large for RE2's memory budget is an error, not a crash")
    func tooLarge() {
        #expect(throws: RegexError.self) { try AnchoredRegex("((((a{100}){100}){100}){100})") }
    }

    @Test("selectors and label_replace use RE2: \\pL matches, (a+)+$ finishes, bad regexes are parse errors")
    func inPromQL() throws {
        var h = SeriesHistory(retention: Int64.max / 4)
        h.append(["__name__": "m", "job": "é1"], t: 0, value: 1)
        h.append(["__name__": "m", "job": String(repeating: "a", count: 5_000) + "!"], t: 0, value: 2)
        let e = Evaluator(history: h)
        let sel = try Evaluator.samples(of: e.instant(PromQL.parse(#"m{job=~"\\pL\\d"}"#), at: 0))
        #expect(sel.map(\.value) == [1])
        let slow = try Evaluator.samples(of: e.instant(PromQL.parse(#"m{job=~"(a+)+$"}"#), at: 0))
        #expect(slow.isEmpty)
        let lr = try Evaluator.samples(of: e.instant(PromQL.parse(#"label_replace(m{job=~"\\pL\\d"}, "x", "$2", "job", "(?U)(\\pL+)(.*)")"#), at: 0))
        #expect(lr.map { $0.labels["x"] } == ["1"])
        #expect(throws: PromQLError.self) { try PromQL.parse(#"m{job=~"(?<=a)"}"#) }
        // Like Prometheus, label_replace's regex is checked when it is evaluated.
        let bad = try PromQL.parse(#"label_replace(m, "x", "$1", "job", "(")"#)
        do {
            _ = try e.instant(bad, at: 0)
            Issue.record("label_replace accepted (")
        } catch {
            #expect(error.message == "invalid regular expression in label_replace(): (: missing ): (")
        }
    }
}
