import Testing
@testable import Rules

@Suite("PromQL parser robustness")
struct ParserRobustnessTests {
    /// Deterministic pseudo-random numbers (64-bit LCG).
    struct LCG {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
    }

    static let pieces = [
        "x", "up", "foo:bar", "{", "}", "(", ")", "[", "]", "5m", "1h30m", ":", ",", "=", "!=", "=~", "!~",
        "\"a\"", "'b'", "`c`", "job", "__name__", "+", "-", "*", "/", "%", "^", "==", ">", "<=", "and", "or",
        "unless", "bool", "on", "ignoring", "group_left", "group_right", "by", "without", "sum", "topk",
        "count_values", "rate", "label_replace", "histogram_quantile", "offset", "@", "start()", "1", "0x1f",
        "1.5e3", "Inf", "NaN", " ", "#c\n", "\"\\x41\"", "\"\\q\"", "\u{e9}", "\"",
    ]

    @Test("random token soups never crash; accepted expressions re-parse from their rendering")
    func soup() {
        var rng = LCG(state: 42)
        var accepted = 0
        for _ in 0..<20_000 {
            var s = ""
            for _ in 0..<(1 + rng.next(12)) { s += Self.pieces[rng.next(Self.pieces.count)] }
            guard let e = try? PromQL.parse(s) else { continue }
            accepted += 1
            do {
                _ = try PromQL.parse(e.description)
            } catch {
                Issue.record("\(s) rendered as \(e.description) does not re-parse: \(error)")
            }
        }
        #expect(accepted > 100)
    }

    @Test("random bytes never crash the lexer")
    func bytes() {
        var rng = LCG(state: 7)
        for _ in 0..<5_000 {
            let scalars = (0..<rng.next(30)).compactMap { _ in Unicode.Scalar(UInt8(rng.next(128))) }
            var s = ""
            s.unicodeScalars.append(contentsOf: scalars)
            _ = try? PromQL.parse(s)
        }
    }

    @Test("deep nesting is an error, not a stack overflow")
    func deepNesting() {
        let deep = String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)
        #expect(throws: PromQLError.self) { try PromQL.parse(deep) }
        let unary = String(repeating: "-", count: 100_000) + "1"
        #expect(throws: PromQLError.self) { try PromQL.parse(unary) }
        let ok = String(repeating: "(", count: Parser.maxDepth - 1) + "1" + String(repeating: ")", count: Parser.maxDepth - 1)
        #expect((try? PromQL.parse(ok)) != nil)
    }
}
