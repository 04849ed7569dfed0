import Foundation
import Testing
@testable import Rules

/// Every kind of nesting counts toward one limit, `Parser.maxDepth`, on the height of the tree;
/// parsing, evaluating, rendering, comparing and dropping a tree at the limit fit a small stack.
@Suite("PromQL expression depth limit")
struct ExpressionDepthTests {
    /// Debug builds spend several KiB of stack per level in the evaluator (release builds a
    /// fraction of that); 1 MiB is twice what the deepest walker at the limit needs in debug.
    static let smallStack = 1 << 20

    /// One way of nesting: `wrap` adds `levels` levels around an expression.
    struct Kind: Sendable, CustomStringConvertible {
        let description: String
        let levels: Int
        let wrap: @Sendable (String) -> String
    }

    static let kinds: [Kind] = [
        Kind(description: "function calls", levels: 1) { "abs(\($0))" },
        Kind(description: "aggregations", levels: 1) { "sum by (a) (\($0))" },
        Kind(description: "parentheses", levels: 1) { "(\($0))" },
        Kind(description: "unary minus", levels: 1) { "-\($0)" },
        Kind(description: "binary left chain", levels: 1) { "\($0) + x" },
        Kind(description: "binary right operand", levels: 2) { "x * (\($0))" },
        Kind(description: "right-associative ^", levels: 1) { "x ^ \($0)" },
        Kind(description: "subqueries with offset and @", levels: 2) { "max_over_time(\($0)[1m:1m] offset 1m @ 600)" },
        Kind(description: "comparisons with bool and on()", levels: 1) { "\($0) > bool on(a) x" },
    ]

    /// The expression of height `height` (a leaf `x` is 1) built by repeating `kind`.
    static func nested(_ kind: Kind, height: Int) -> String {
        var s = "x"
        var h = 1
        while h + kind.levels <= height {
            s = kind.wrap(s)
            h += kind.levels
        }
        return s
    }

    static func height(_ e: Expr) -> Int {
        switch e {
        case .number, .string, .vectorSelector, .matrixSelector: 1
        case .subquery(let s): height(s.expr) + 1
        case .paren(let x), .unaryMinus(let x): height(x) + 1
        case .binary(let b): max(height(b.lhs), height(b.rhs)) + 1
        case .aggregate(let a): max(height(a.expr), a.param.map(height) ?? 0) + 1
        case .call(let c): (c.args.map(height).max() ?? 0) + 1
        }
    }

    static let history: SeriesHistory = {
        var h = SeriesHistory(retention: Int64.max / 4)
        for t in stride(from: Int64(0), through: 600_000, by: 15_000) {
            _ = h.append(["__name__": "x", "a": "1"], t: t, value: 2)
        }
        return h
    }()

    @Test("at the limit every kind of nesting parses, evaluates, renders, hashes and is freed on a small stack", arguments: kinds)
    func atTheLimit(_ kind: Kind) throws {
        let text = Self.nested(kind, height: Parser.maxDepth)
        let outcome = SmallStackThread.run(stackSize: Self.smallStack) { () -> String? in
            do {
                let e = try PromQL.parse(text)
                guard Self.height(e) > Parser.maxDepth - kind.levels else { return "tree only \(Self.height(e)) high" }
                _ = try Evaluator(history: Self.history).instant(e, at: 600_000)
                var hasher = Hasher()
                e.hash(into: &hasher)
                _ = hasher.finalize()
                guard e == e, !e.description.isEmpty, e.type == .vector else { return "walkers disagree" }
                _ = e.lookbackNeeded(lookbackDelta: PromQL.lookbackDelta)
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(outcome == nil, "\(kind): \(outcome ?? "")")
    }

    @Test("one level over the limit is a positioned error naming the limit", arguments: kinds)
    func overTheLimit(_ kind: Kind) {
        let text = Self.nested(kind, height: Parser.maxDepth + kind.levels)
        let message = SmallStackThread.run(stackSize: Self.smallStack) { () -> String in
            do {
                _ = try PromQL.parse(text)
                return "parsed"
            } catch {
                return "\(error)"
            }
        }
        #expect(message.contains("parse error: expression nested too deeply (more than \(Parser.maxDepth) levels)"), "\(kind): \(message)")
    }

    @Test("10,000 levels of any kind are an error, not a stack overflow, on a small stack", arguments: kinds)
    func tenThousand(_ kind: Kind) {
        let text = Self.nested(kind, height: 10_000)
        let failed = SmallStackThread.run(stackSize: Self.smallStack) { () -> Bool in
            (try? PromQL.parse(text)) == nil
        }
        #expect(failed, "\(kind)")
    }

    @Test("unary plus chains are bounded by the parser's recursion though they add no tree level")
    func unaryPlus() {
        let ok = String(repeating: "+", count: Parser.maxDepth - 2) + "x"
        #expect((try? PromQL.parse(ok)) != nil)
        let deep = String(repeating: "+", count: 100_000) + "x"
        let failed = SmallStackThread.run(stackSize: Self.smallStack) { (try? PromQL.parse(deep)) == nil }
        #expect(failed)
    }
}
