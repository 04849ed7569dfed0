/// Recursive-descent PromQL parser with Prometheus' precedence (`^` right-associative, unary
/// minus binding like `*`), postfix ranges, subqueries, `offset` and `@`, and the type checks
/// Prometheus' parser performs. Every error carries the byte position it refers to.
struct Parser {
    /// An expression with its source span.
    struct Node {
        var expr: Expr
        var start: Int
        var end: Int
    }

    private let input: [UInt8]
    private let tokens: [Token]
    private var index = 0
    /// Current nesting of sub-expressions; bounded so hostile input (`((((…` from the HTTP
    /// API) cannot exhaust the stack.
    private var depth = 0
    /// The first type error (Prometheus' checkAST runs after a successful parse, so any syntax
    /// error, even a later one, wins over it).
    private var typeError: PromQLError?
    static let maxDepth = 500

    init(_ text: String) throws(PromQLError) {
        input = Array(text.utf8)
        tokens = Lexer.tokenize(input)
    }

    private var current: Token { tokens[index] }
    private func peekKind(_ k: Int = 1) -> Token.Kind {
        index + k < tokens.count ? tokens[index + k].kind : .eof
    }
    private mutating func advance() -> Token {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    private func error(_ offset: Int, _ message: String) -> PromQLError {
        PromQLError(input: input, offset: offset, message: message)
    }

    private mutating func typeCheck(_ e: PromQLError) {
        if typeError == nil { typeError = e }
    }

    private func unexpected(_ t: Token, _ context: String? = nil, expected: String? = nil) -> PromQLError {
        if case .lexError(let message) = t.kind { return error(t.start, message) }
        var m = "unexpected \(t.describe)"
        if let context { m += " in \(context)" }
        if let expected { m += ", expected \(expected)" }
        return error(t.start, m)
    }

    private mutating func expect(_ kind: Token.Kind, _ context: String, _ what: String) throws(PromQLError) -> Token {
        guard current.kind == kind else { throw unexpected(current, context, expected: what) }
        return advance()
    }

    mutating func parseTop() throws(PromQLError) -> Expr {
        if current.kind == .eof { throw error(0, "no expression found in input") }
        let node = try parseExpr(minPrecedence: 0)
        if current.kind != .eof { throw unexpected(current) }
        if let typeError { throw typeError }
        return node.expr
    }

    // MARK: binary expressions

    private func binaryOp(_ k: Token.Kind) -> BinaryOp? {
        switch k {
        case .add: .add
        case .sub: .sub
        case .mul: .mul
        case .div: .div
        case .mod: .mod
        case .pow: .pow
        case .atan2: .atan2
        case .eqlc: .eql
        case .neq: .neq
        case .gtr: .gtr
        case .lss: .lss
        case .gte: .gte
        case .lte: .lte
        case .land: .and
        case .lor: .or
        case .lunless: .unless
        default: nil
        }
    }

    private mutating func parseExpr(minPrecedence: Int) throws(PromQLError) -> Node {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth { throw error(current.start, "expression nested too deeply (more than \(Self.maxDepth) levels)") }
        var lhs = try parseUnary()
        while let op = binaryOp(current.kind), op.precedence >= minPrecedence {
            let opToken = advance()
            var returnBool = false
            if current.kind == .bool {
                _ = advance()
                if !op.isComparison { typeCheck(error(opToken.start, "bool modifier can only be used on comparison operators")) }
                returnBool = true
            }
            var matching = VectorMatching()
            var hasMatchingClause = false
            var groupToken: Token?
            if current.kind == .on || current.kind == .ignoring {
                hasMatchingClause = true
                matching.on = advance().kind == .on
                matching.labels = try parseLabelList("grouping")
                if current.kind == .groupLeft || current.kind == .groupRight {
                    let g = advance()
                    groupToken = g
                    matching.cardinality = g.kind == .groupLeft ? .manyToOne : .oneToMany
                    if current.kind == .leftParen {
                        matching.include = try parseLabelList("grouping")
                    }
                }
            } else if current.kind == .groupLeft || current.kind == .groupRight {
                throw unexpected(current)
            }
            let next = op.isRightAssociative ? op.precedence : op.precedence + 1
            let rhs = try parseExpr(minPrecedence: next)
            lhs = try makeBinary(op, opToken, lhs, rhs, returnBool: returnBool, matching: matching,
                                 hasMatchingClause: hasMatchingClause, groupToken: groupToken)
        }
        return lhs
    }

    private mutating func makeBinary(_ op: BinaryOp, _ opToken: Token, _ lhs: Node, _ rhs: Node, returnBool: Bool,
                            matching: VectorMatching, hasMatchingClause: Bool, groupToken: Token?) throws(PromQLError) -> Node {
        let lt = lhs.expr.type, rt = rhs.expr.type
        for side in [lhs, rhs] where side.expr.type != .scalar && side.expr.type != .vector {
            typeCheck(error(side.start, "binary expression must contain only scalar and instant vector types"))
        }
        if op.isComparison, !returnBool, lt == .scalar, rt == .scalar {
            typeCheck(error(opToken.start, "comparisons between scalars must use BOOL modifier"))
        }
        if op.isSetOperator, lt == .scalar || rt == .scalar {
            typeCheck(error(lhs.start, "set operator \"\(op.rawValue)\" not allowed in binary scalar expression"))
        }
        var m: VectorMatching?
        if lt == .vector, rt == .vector {
            var mm = matching
            if op.isSetOperator {
                if let groupToken {
                    typeCheck(error(groupToken.start, "no grouping allowed for \"\(op.rawValue)\" operation"))
                }
                mm.cardinality = .manyToMany
            }
            if mm.on {
                for l in mm.include where mm.labels.contains(l) {
                    typeCheck(error(opToken.start, "label \"\(l)\" must not occur in ON and GROUP clause at once"))
                }
            }
            m = mm
        } else if hasMatchingClause {
            typeCheck(error(opToken.start, "vector matching only allowed between instant vectors"))
        }
        let e = Expr.binary(BinaryExpr(op: op, lhs: lhs.expr, rhs: rhs.expr, returnBool: returnBool, matching: m))
        return Node(expr: e, start: lhs.start, end: rhs.end)
    }

    // MARK: unary and postfix

    private mutating func parseUnary() throws(PromQLError) -> Node {
        if current.kind == .sub || current.kind == .add {
            let t = advance()
            // Unary operators bind like `*`: the operand may contain `^` but nothing looser.
            let operand = try parseExpr(minPrecedence: BinaryOp.pow.precedence)
            let type = operand.expr.type
            if !(type == .scalar || type == .vector) {
                typeCheck(error(t.start, "unary expression only allowed on expressions of type scalar or instant vector, got \"\(type.rawValue)\""))
            }
            if t.kind == .add { return Node(expr: operand.expr, start: t.start, end: operand.end) }
            if case .number(let v) = operand.expr { return Node(expr: .number(-v), start: t.start, end: operand.end) }
            return Node(expr: .unaryMinus(operand.expr), start: t.start, end: operand.end)
        }
        return try parsePostfix(parsePrimary())
    }

    private mutating func parsePostfix(_ base: Node) throws(PromQLError) -> Node {
        var node = base
        while true {
            switch current.kind {
            case .leftBracket:
                node = try parseRangeOrSubquery(node)
            case .offset:
                _ = advance()
                var sign: Int64 = 1
                if current.kind == .sub { _ = advance(); sign = -1 } else if current.kind == .add { _ = advance() }
                guard case .duration(let d) = current.kind else { throw unexpected(current, "offset", expected: "duration") }
                let dt = advance()
                node = try setOffset(node, sign * d, end: dt.end)
            case .at:
                let t = advance()
                let at: AtModifier
                var end = t.end
                switch current.kind {
                case .start, .end:
                    let k = advance()
                    _ = try expect(.leftParen, "@ modifier", "\"(\"")
                    end = try expect(.rightParen, "@ modifier", "\")\"").end
                    at = k.kind == .start ? .start : .end
                default:
                    var sign = 1.0
                    if current.kind == .sub { _ = advance(); sign = -1 } else if current.kind == .add { _ = advance() }
                    guard case .number(let v) = current.kind else { throw unexpected(current, "@", expected: "timestamp") }
                    end = advance().end
                    let ts = sign * v
                    guard ts.isFinite, abs(ts) <= PromDurationParser.maxSeconds * 1000 else {
                        throw error(node.start, "timestamp out of bounds for @ modifier: \(Expr.formatNumber(ts))")
                    }
                    at = .timestamp(Int64((ts * 1000).rounded()))
                }
                node = try setAt(node, at, end: end)
            default:
                return node
            }
        }
    }

    private mutating func parseRangeOrSubquery(_ node: Node) throws(PromQLError) -> Node {
        let open = advance()
        guard case .duration(let range) = current.kind else {
            throw unexpected(current, "range", expected: "duration")
        }
        _ = advance()
        if current.kind == .colon {
            _ = advance()
            var step: Int64 = 0
            if case .duration(let s) = current.kind { step = s; _ = advance() }
            let close = try expect(.rightBracket, "subquery selector", "\"]\"")
            if node.expr.type != .vector {
                typeCheck(error(node.start, "subquery is only allowed on instant vector, got \(node.expr.type.rawValue) instead"))
            }
            if range <= 0 { throw error(open.start, "range must be greater than 0") }
            return Node(expr: .subquery(Subquery(expr: node.expr, range: range, step: step)), start: node.start, end: close.end)
        }
        let close = try expect(.rightBracket, "range selector", "\"]\"")
        guard case .vectorSelector(let vs) = node.expr else {
            throw error(open.start, "ranges only allowed for vector selectors")
        }
        if vs.offset != 0 || vs.at != nil {
            throw error(open.start, "no offset or @ modifier allowed before range")
        }
        if range <= 0 { throw error(open.start, "range must be greater than 0") }
        return Node(expr: .matrixSelector(vs, range: range), start: node.start, end: close.end)
    }

    private func setOffset(_ node: Node, _ d: Int64, end: Int) throws(PromQLError) -> Node {
        let msg = "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery"
        switch node.expr {
        case .vectorSelector(var s):
            if s.offset != 0 { throw error(node.start, "offset may not be set multiple times") }
            s.offset = d
            return Node(expr: .vectorSelector(s), start: node.start, end: end)
        case .matrixSelector(var s, let r):
            if s.offset != 0 { throw error(node.start, "offset may not be set multiple times") }
            s.offset = d
            return Node(expr: .matrixSelector(s, range: r), start: node.start, end: end)
        case .subquery(var s):
            if s.offset != 0 { throw error(node.start, "offset may not be set multiple times") }
            s.offset = d
            return Node(expr: .subquery(s), start: node.start, end: end)
        default:
            throw error(node.start, msg)
        }
    }

    private func setAt(_ node: Node, _ at: AtModifier, end: Int) throws(PromQLError) -> Node {
        switch node.expr {
        case .vectorSelector(var s):
            if s.at != nil { throw error(node.start, "@ <timestamp> may not be set multiple times") }
            s.at = at
            return Node(expr: .vectorSelector(s), start: node.start, end: end)
        case .matrixSelector(var s, let r):
            if s.at != nil { throw error(node.start, "@ <timestamp> may not be set multiple times") }
            s.at = at
            return Node(expr: .matrixSelector(s, range: r), start: node.start, end: end)
        case .subquery(var s):
            if s.at != nil { throw error(node.start, "@ <timestamp> may not be set multiple times") }
            s.at = at
            return Node(expr: .subquery(s), start: node.start, end: end)
        default:
            throw error(node.start, "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery")
        }
    }

    // MARK: primaries

    private mutating func parsePrimary() throws(PromQLError) -> Node {
        let t = current
        switch t.kind {
        case .number(let v):
            _ = advance()
            return Node(expr: .number(v), start: t.start, end: t.end)
        case .string(let s):
            _ = advance()
            return Node(expr: .string(s), start: t.start, end: t.end)
        case .leftParen:
            _ = advance()
            let inner = try parseExpr(minPrecedence: 0)
            guard current.kind == .rightParen else { throw unexpected(current) }
            let close = advance()
            return Node(expr: .paren(inner.expr), start: t.start, end: close.end)
        case .aggregator(let op):
            switch peekKind() {
            case .leftParen, .by, .without: return try parseAggregation(op)
            default:
                // Not followed by "(" or a grouping: a metric named like the keyword.
                _ = advance()
                return try parseSelector(name: t.text, start: t.start, end: t.end)
            }
        case .by, .without, .offset, .land, .lor, .lunless, .start, .end:
            // Prometheus' grammar accepts these keywords as metric names.
            _ = advance()
            return try parseSelector(name: t.text, start: t.start, end: t.end)
        case .identifier(let name):
            if peekKind() == .leftParen { return try parseCall(name) }
            _ = advance()
            return try parseSelector(name: name, start: t.start, end: t.end)
        case .metricIdentifier(let name):
            _ = advance()
            return try parseSelector(name: name, start: t.start, end: t.end)
        case .leftBrace:
            return try parseSelector(name: nil, start: t.start, end: t.end)
        case .eof:
            throw error(t.start, "unexpected end of input")
        default:
            throw unexpected(t)
        }
    }

    private mutating func parseSelector(name: String?, start: Int, end: Int) throws(PromQLError) -> Node {
        var matchers: [LabelMatcher] = []
        var end = end
        if let name {
            matchers.append(try makeMatcher("__name__", .equal, name, at: start))
        }
        if current.kind == .leftBrace {
            _ = advance()
            while current.kind != .rightBrace {
                let labelToken = advance()
                let label: String
                switch labelToken.kind {
                case .identifier(let n): label = n
                case .string(let n): label = n
                default: throw unexpected(labelToken, "label matching", expected: "label matching operator")
                }
                let op: LabelMatcher.Op
                switch current.kind {
                case .eql: op = .equal
                case .neq: op = .notEqual
                case .eqlRegex: op = .regexMatch
                case .neqRegex: op = .regexNoMatch
                case .comma, .rightBrace:
                    // `{"metric"}`: a quoted metric name (Prometheus 3.x).
                    if case .string(let n) = labelToken.kind {
                        matchers.append(try makeMatcher("__name__", .equal, n, at: labelToken.start))
                        if current.kind == .comma { _ = advance() }
                        continue
                    }
                    throw unexpected(current, "label matching", expected: "label matching operator")
                default: throw unexpected(current, "label matching", expected: "label matching operator")
                }
                _ = advance()
                let valueToken = advance()
                guard case .string(let value) = valueToken.kind else {
                    throw unexpected(valueToken, "label matching", expected: "string")
                }
                matchers.append(try makeMatcher(label, op, value, at: valueToken.start))
                if current.kind == .comma {
                    _ = advance()
                } else if current.kind != .rightBrace {
                    throw unexpected(current, "label matching", expected: "\",\" or \"}\"")
                }
            }
            end = advance().end
        }
        let nameMatchers = matchers.filter { $0.name == "__name__" && $0.op == .equal }
        if nameMatchers.count > 1, name != nil {
            throw error(start, "metric name must not be set twice: \(PromQLString.quote(nameMatchers[0].value)) or \(PromQLString.quote(nameMatchers[1].value))")
        }
        if !matchers.contains(where: { !$0.matchesEmpty }) {
            typeCheck(error(start, "vector selector must contain at least one non-empty matcher"))
        }
        let metricName = name ?? nameMatchers.first?.value
        return Node(expr: .vectorSelector(VectorSelector(name: metricName, matchers: matchers)), start: start, end: end)
    }

    private func makeMatcher(_ name: String, _ op: LabelMatcher.Op, _ value: String, at pos: Int) throws(PromQLError) -> LabelMatcher {
        do {
            return try LabelMatcher(name, op, value)
        } catch {
            throw self.error(pos, error.description)
        }
    }

    /// `(a, b, …)` after by/without/on/ignoring/group_*; keywords are valid label names here.
    private mutating func parseLabelList(_ context: String) throws(PromQLError) -> [String] {
        _ = try expect(.leftParen, context, "\"(\"")
        var labels: [String] = []
        while current.kind != .rightParen {
            let t = advance()
            switch t.kind {
            case .identifier(let n): labels.append(n)
            case .string(let n): labels.append(n)
            case .aggregator, .offset, .by, .without, .on, .ignoring, .groupLeft, .groupRight, .bool, .start, .end,
                 .land, .lor, .lunless, .atan2:
                labels.append(t.text)
            default:
                throw unexpected(t, context, expected: "label")
            }
            if current.kind == .comma {
                _ = advance()
            } else if current.kind != .rightParen {
                throw unexpected(current, context, expected: "\",\" or \")\"")
            }
        }
        _ = advance()
        return labels
    }

    private mutating func parseArgs(_ context: String) throws(PromQLError) -> (args: [Node], end: Int) {
        _ = try expect(.leftParen, context, "\"(\"")
        var args: [Node] = []
        while current.kind != .rightParen {
            args.append(try parseExpr(minPrecedence: 0))
            if current.kind == .comma {
                _ = advance()
                if current.kind == .rightParen { throw unexpected(current, context, expected: "expression") }
            } else if current.kind != .rightParen {
                throw unexpected(current, context, expected: "\",\" or \")\"")
            }
        }
        let close = advance()
        return (args, close.end)
    }

    private mutating func parseAggregation(_ op: AggregationOp) throws(PromQLError) -> Node {
        let t = advance()
        var grouping: [String] = []
        var without = false
        var groupingSet = false
        if current.kind == .by || current.kind == .without {
            without = advance().kind == .without
            grouping = try parseLabelList("grouping")
            groupingSet = true
        }
        let (args, argsEnd) = try parseArgs("aggregation")
        var end = argsEnd
        if current.kind == .by || current.kind == .without {
            let g = current
            if groupingSet { throw unexpected(g, "aggregation") }
            without = advance().kind == .without
            grouping = try parseLabelList("grouping")
            end = tokens[index - 1].end
        }
        let want = op.takesParameter ? 2 : 1
        guard args.count == want else {
            throw error(t.start, "wrong number of arguments for aggregate expression provided, expected \(want), got \(args.count)")
        }
        let vectorArg = args[want - 1]
        if vectorArg.expr.type != .vector {
            typeCheck(error(vectorArg.start, "expected type instant vector in aggregation expression, got \(vectorArg.expr.type.rawValue)"))
        }
        var param: Expr?
        if op.takesParameter {
            let p = args[0]
            let wantType: ValueType = op == .countValues ? .string : .scalar
            if p.expr.type != wantType {
                typeCheck(error(p.start, "expected type \(wantType.rawValue) in aggregation parameter, got \(p.expr.type.rawValue)"))
            }
            param = p.expr
        }
        let agg = AggregateExpr(op: op, expr: vectorArg.expr, param: param, grouping: grouping, without: without)
        return Node(expr: .aggregate(agg), start: t.start, end: end)
    }

    private mutating func parseCall(_ name: String) throws(PromQLError) -> Node {
        let t = advance()
        // Prometheus reports an unknown name when the call is reduced, after its arguments.
        let (args, end) = try parseArgs("function call")
        guard let f = PromFunction.all[name] else {
            throw error(t.start, "unknown function with name \(PromQLString.quote(name))")
        }
        if args.count < f.minArgs || (f.maxArgs.map { args.count > $0 } ?? false) {
            let expected: String
            if f.maxArgs == f.minArgs {
                expected = "expected \(f.minArgs) argument(s)"
            } else if args.count < f.minArgs {
                expected = "expected at least \(f.minArgs) argument(s)"
            } else {
                expected = "expected at most \(f.maxArgs ?? 0) argument(s)"
            }
            typeCheck(error(t.start, "\(expected) in call to \(PromQLString.quote(name)), got \(args.count)"))
        }
        for (i, a) in args.enumerated() {
            let want = f.argType(at: i)
            if a.expr.type != want {
                typeCheck(error(a.start, "expected type \(want.rawValue) in call to function \(PromQLString.quote(name)), got \(a.expr.type.rawValue)"))
            }
        }
        if (name == "label_replace" && args.count == 5) || (name == "label_join" && args.count >= 3) {
            // The destination label must be a valid label name; label_replace's regex must compile.
            if case .string(let dst) = args[1].expr, !Self.isValidLabelName(dst) {
                throw error(args[1].start, "invalid destination label name in \(name)(): \(dst)")
            }
            if name == "label_replace", case .string(let re) = args[3].expr {
                do { _ = try AnchoredRegex(re) } catch {
                    throw self.error(args[3].start, "invalid regular expression in label_replace(): \(re)")
                }
            }
        }
        return Node(expr: .call(FunctionCall(function: f, args: args.map(\.expr))), start: t.start, end: end)
    }

    static func isValidLabelName(_ s: String) -> Bool {
        guard let first = s.utf8.first, Lexer.isAlpha(first) else { return false }
        return s.utf8.allSatisfy(Lexer.isAlphaNumeric)
    }
}
