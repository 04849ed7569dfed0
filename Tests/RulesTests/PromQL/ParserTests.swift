import Testing
@testable import Rules

@Suite("PromQL parser")
struct ParserTests {
    @Test("renders the tree Prometheus builds (precedence, associativity, modifiers)", arguments: [
        ("1 + 2 * 3", "(1 + (2 * 3))"),
        ("1 * 2 + 3", "((1 * 2) + 3)"),
        ("2 ^ 3 ^ 2", "(2 ^ (3 ^ 2))"),
        ("-2 ^ 2", "-(2 ^ 2)"),
        ("-a * b", "(-a * b)"),
        ("a - -b", "(a - -b)"),
        ("a or b and c", "(a or (b and c))"),
        ("a and b unless c", "((a and b) unless c)"),
        ("a > 1 and b < 2 or c", "(((a > 1) and (b < 2)) or c)"),
        ("a + b > c - d", "((a + b) > (c - d))"),
        ("a atan2 b * c", "((a atan2 b) * c)"),
        ("a / b % c", "((a / b) % c)"),
        ("1 == bool 2", "(1 == bool 2)"),
        ("a > bool on(x) b", "(a > bool on(x) b)"),
        ("a * ignoring(x, y) group_left(z) b", "(a * ignoring(x, y) group_left(z) b)"),
        ("a + on(x) group_right b", "(a + on(x) group_right() b)"),
        ("a AND b", "(a and b)"),
        ("SUM BY (job) (x)", "sum by (job)(x)"),
        ("sum(x) without (instance)", "sum without (instance)(x)"),
        ("topk(3, x)", "topk(3, x)"),
        ("quantile(0.9, rate(x[5m]))", "quantile(0.9, rate(x[5m]))"),
        ("count_values(\"v\", x)", "count_values(\"v\", x)"),
        ("sum by (on, by, group_left) (x)", "sum by (on, by, group_left)(x)"),
        ("x offset 5m", "x offset 5m"),
        ("x offset -1h30m", "x offset -1h30m"),
        ("x[5m] offset 1w", "x[5m] offset 1w"),
        ("x @ 100", "x @ 100"),
        ("x @ start()", "x @ start()"),
        ("rate(x[5m])[30m:1m]", "rate(x[5m])[30m:1m]"),
        ("x[1h:]", "x[1h:]"),
        ("max_over_time(deriv(x[5m])[1h:5m] offset 2m)", "max_over_time(deriv(x[5m])[1h:5m] offset 2m)"),
        ("{__name__=\"up\", job=~\"a.*\"}", "up{job=~\"a.*\"}"),
        ("up{job!=\"x\",env!~'p.*',}", "up{job!=\"x\", env!~\"p.*\"}"),
        ("{job=\"x\"}", "{job=\"x\"}"),
        ("foo:bar:rate5m", "foo:bar:rate5m"),
        ("0x1F + 010 + 1e3 + .5 + 1_000", "((((31 + 8) + 1000) + 0.5) + 1000)"),
        ("Inf + -inf + NaN", "((Inf + -Inf) + NaN)"),
        ("+5", "5"),
        ("-(1)", "-(1)"),
        ("'a\\'b' ", "\"a'b\""),
        ("\"\\x41\\u00e9\\101\\n\"", "\"A\u{e9}A\\n\""),
        ("`raw\\n`", "\"raw\\\\n\""),
        ("histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))", "histogram_quantile(0.99, sum by (le)(rate(x_bucket[5m])))"),
        ("label_join(x, \"d\", \",\", \"a\", \"b\", \"c\")", "label_join(x, \"d\", \",\", \"a\", \"b\", \"c\")"),
        ("round(x)", "round(x)"),
        ("time() - timestamp(x)", "(time() - timestamp(x))"),
        ("a # comment\n + b", "(a + b)"),
        ("a </ b * 2", "(a </ (b * 2))"),
        ("a >/ 0.5 and b", "((a >/ 0.5) and b)"),
        ("a</b", "(a </ b)"),
    ])
    func renders(_ input: String, _ expected: String) throws {
        let e = try PromQL.parse(input)
        #expect(e.description == expected)
    }

    @Test("types expressions")
    func types() throws {
        #expect(try PromQL.parse("1 + 2").type == .scalar)
        #expect(try PromQL.parse("x + 2").type == .vector)
        #expect(try PromQL.parse("x[5m]").type == .matrix)
        #expect(try PromQL.parse("x[5m:]").type == .matrix)
        #expect(try PromQL.parse("scalar(x)").type == .scalar)
        #expect(try PromQL.parse("\"s\"").type == .string)
    }

    @Test("rejects invalid input with the position Prometheus reports", arguments: [
        ("", 0, "no expression found"),
        ("1 +", 3, "unexpected end of input"),
        ("foo{", 4, "unexpected end of input inside braces"),
        ("sum(x", 5, "unclosed left parenthesis"),
        ("x)", 2, "unexpected right parenthesis"),
        ("1 > 2", 2, "comparisons between scalars must use BOOL modifier"),
        ("x + bool y", 2, "bool modifier can only be used on comparison operators"),
        ("x </ bool y", 2, "bool modifier can only be used on comparison operators"),
        ("1 and x", 0, "set operator \"and\" not allowed"),
        ("x and on(a) group_left y", 12, "no grouping allowed for \"and\" operation"),
        ("1 + on(a) x", 2, "vector matching only allowed between instant vectors"),
        ("x[5m] + 1", 0, "binary expression must contain only scalar and instant vector types"),
        ("sum(x)[5m]", 6, "ranges only allowed for vector selectors"),
        ("sum(x) offset 5m", 0, "offset modifier must be preceded"),
        ("rate(x)", 5, "expected type range vector in call to function \"rate\", got instant vector"),
        ("nosuch(x)", 0, "unknown function with name \"nosuch\""),
        ("clamp(x, 1)", 0, "expected 3 argument(s) in call to \"clamp\", got 2"),
        ("topk(x)", 0, "wrong number of arguments for aggregate expression provided, expected 2, got 1"),
        ("topk(\"a\", x)", 5, "expected type scalar in aggregation parameter"),
        ("sum(x[5m])", 4, "expected type instant vector in aggregation expression"),
        ("{}", 0, "vector selector must contain at least one non-empty matcher"),
        ("{job=~\".*\"}", 0, "vector selector must contain at least one non-empty matcher"),
        ("foo{__name__=\"bar\"}", 0, "metric name must not be set twice"),
        ("x{a=~\"(\"}", 5, "invalid regular expression"),
        ("x[5m", 4, "unclosed left bracket"),
        ("\"abc", 0, "unterminated quoted string"),
        ("\"a\\qb\"", 2, "unknown escape sequence"),
        ("1 +\n  ?", 6, "unexpected character: '?'"),
        ("x{a=\"b\" c=\"d\"}", 8, "unexpected identifier \"c\" in label matching"),
        ("sum by (a) (x) by (b)", 15, "unexpected <by>"),
        ("-x[5m]", 0, "unary expression only allowed on expressions of type scalar or instant vector"),
        ("x[5m:1m][5m]", 8, "ranges only allowed for vector selectors"),
        ("x[5m][5m:]", 0, "subquery is only allowed on instant vector"),
        ("x offset 5m offset 1m", 0, "offset may not be set multiple times"),
        ("x{a=1}", 4, "unexpected character inside braces: '1'"),
        ("label_replace(x, \"1a\", \"\", \"a\", \"\")", 17, "invalid destination label name"),
        ("a * on(b) group_left(b) c", 2, "label \"b\" must not occur in ON and GROUP clause at once"),
    ])
    func rejects(_ input: String, _ offset: Int, _ message: String) {
        do {
            let e = try PromQL.parse(input)
            Issue.record("parsed \(input) as \(e)")
        } catch {
            #expect(error.offset == offset, "\(input): \(error)")
            #expect(error.message.contains(message), "\(input): \(error)")
        }
    }

    @Test("reports line and column across lines")
    func lineColumn() {
        do {
            _ = try PromQL.parse("sum(\n  rate(x[5m])\n) by (a) +")
            Issue.record("no error")
        } catch {
            #expect(error.line == 3 && error.column == 11)
            #expect(error.description.hasPrefix("3:11: parse error: "))
        }
    }
}
