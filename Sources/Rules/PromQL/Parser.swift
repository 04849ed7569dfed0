/// Recursive-descent PromQL parser with Prometheus' precedence (`^` right-associative, unary
/// minus binding like `*`), postfix ranges, subqueries, `offset` and `@`, and the type checks
/// Prometheus' parser performs. Every error carries the byte position it refers to.
struct Parser {
    /// An expression with its source span, its type and the height of its tree (a leaf is 1).
    /// Carrying type and height here keeps parsing linear: `Expr.type` walks the tree.
    struct Node {
        var expr: Expr
        var start: Int
        var end: Int
        var type: ValueType
        var height: Int

        init(expr: Expr, start: Int, end: Int, type: ValueType, height: Int = 1) {
            self.expr = expr
            self.start = start
            self.end = end
            self.type = type
            self.height = height
        }
    }

    private let input: [UInt8]
    private let tokens: [Token]
    private var index = 0
    /// Current recursion of the parser; every recursive path (parentheses, arguments, unary
    /// operators, right-associative `^`, binary right-hand sides) passes `parseExpr`, which
    /// counts it, so hostile input (`((((…`, `- - - x`) cannot exhaust the stack.
    private var depth = 0
    /// The first type error (Prometheus' checkAST runs after a successful parse, so any syntax
    /// error, even a later one, wins over it).
    private var typeError: PromQLError?
    /// Most levels an expression tree may have, counting every node kind: calls, aggregations,
    /// parentheses, unary minus, subqueries and each operand of a binary chain (`a + b + c` is 3
    /// deep: Prometheus' tree is left-deep). Both the parser's recursion and the height of the
    /// tree it builds are held to it, so every walker over a parsed `Expr` (evaluator,
    /// rendering, `type`, hashing, deallocation) recurses at most this deep. Measured with
    /// `ulimit -s` on `vigil test-rules` evaluating every kind of nesting at the limit: the
    /// release binary needs a 128 KiB main stack in all (it fails at 96 KiB; a trivial test
    /// runs in 64 KiB), so about 1 KiB per level, far inside a 512 KiB thread; the debug binary
    /// needs 512 KiB (about 7 KiB per level), and `ExpressionDepthTests` runs every walker at
    /// the limit on a 1 MiB thread. The cost:
    /// a flat chain `a or b or …` may have at most 64 operands (Prometheus has no limit; its Go
    /// stacks grow), rejected with this error rather than risking a stack overflow.
    static let maxDepth = 64

    init(_ text: String) throws(PromQLError) {
        input = Array(text.utf8)
        tokens = Lexer.tokenize(input)
    }

    private var current: Token { tokens[index] }
    private func peekKind(_ k: Int = 1) -> Token.Kind {
        index + k < tokens.count ? tokens[index + k].kind : .eof
    }
    private mutating func advanceStart() -> Int { advance().start }
    private mutating func advanceEnd() -> Int { advance().end }

    private mutating func advance() -> Token {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    private func error(_ offset: Int, _ message: String) -> PromQLError {
        PromQLError(input: input, offset: offset, message: message)
    }

    /// Records the first type error; later ones are not even built (building one scans the
    /// input for its line, which per operator would make long expressions quadratic).
    private mutating func typeCheck(_ offset: Int, _ message: @autoclosure () -> String) {
        if typeError == nil { typeError = error(offset, message()) }
    }

    /// One level deeper into the parser's recursion, refused past the limit.
    private mutating func enter() throws(PromQLError) {
        depth += 1
        if depth > Self.maxDepth { throw tooDeep(current.start) }
    }

    private func tooDeep(_ offset: Int) -> PromQLError {
        error(offset, "expression nested too deeply (more than \(Self.maxDepth) levels)")
    }

    /// A node built over `children`: one level higher than the highest, refused past the limit.
    private func node(_ expr: Expr, _ start: Int, _ end: Int, _ type: ValueType, over children: Node...) throws(PromQLError) -> Node {
        var h = 0
        for c in children where c.height > h { h = c.height }
        return try node(expr, start, end, type, height: h + 1)
    }

    private func node(_ expr: Expr, _ start: Int, _ end: Int, _ type: ValueType, height: Int) throws(PromQLError) -> Node {
        if height > Self.maxDepth { throw tooDeep(start) }
        return Node(expr: expr, start: start, end: end, type: type, height: height)
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

    /// The binary operator at the current token if it binds at least as tightly as `minPrecedence`.
    private func binaryOp(atLeast minPrecedence: Int) -> BinaryOp? {
        guard let op = binaryOp(current.kind), op.precedence >= minPrecedence else { return nil }
        return op
    }

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
        case .trimUpper: .trimUpper
        case .trimLower: .trimLower
        case .land: .and
        case .lor: .or
        case .lunless: .unless
        default: nil
        }
    }

    /// The modifiers after a binary operator: `bool`, `on`/`ignoring(…)`, `group_left/right(…)`.
    private struct OperatorModifiers {
        var op: BinaryOp
        var opStart: Int
        var returnBool = false
        var matching = VectorMatching()
        var hasMatchingClause = false
        var groupStart: Int?
    }

    // The functions on the recursive path (parseExpr, parseUnary, parsePrimary, parseParen,
    // parseCall, parseAggregation, parseArgs) keep few locals and leave the rest to helpers
    // that return before the recursion: their frames are what a deep expression costs in stack.

    private mutating func parseExpr(minPrecedence: Int) throws(PromQLError) -> Node {
        try enter()
        defer { depth -= 1 }
        var lhs = try parseUnary()
        while let op = binaryOp(atLeast: minPrecedence) {
            let mods = try parseOperatorModifiers(op)
            let rhs = try parseExpr(minPrecedence: op.isRightAssociative ? op.precedence : op.precedence + 1)
            lhs = try makeBinary(mods, lhs, rhs)
        }
        return lhs
    }

    private mutating func parseOperatorModifiers(_ op: BinaryOp) throws(PromQLError) -> OperatorModifiers {
        var m = OperatorModifiers(op: op, opStart: advance().start)
        if current.kind == .bool {
            _ = advance()
            if !op.isComparison { typeCheck(m.opStart, "bool modifier can only be used on comparison operators") }
            m.returnBool = true
        }
        if current.kind == .on || current.kind == .ignoring {
            m.hasMatchingClause = true
            m.matching.on = advance().kind == .on
            m.matching.labels = try parseLabelList("grouping")
            if current.kind == .groupLeft || current.kind == .groupRight {
                let g = advance()
                m.groupStart = g.start
                m.matching.cardinality = g.kind == .groupLeft ? .manyToOne : .oneToMany
                if current.kind == .leftParen {
                    m.matching.include = try parseLabelList("grouping")
                }
            }
        } else if current.kind == .groupLeft || current.kind == .groupRight {
            throw unexpected(current)
        }
        if case .identifier(let n) = current.kind, ["fill", "fill_left", "fill_right"].contains(n.lowercased()),
           peekKind() == .leftParen {
            throw error(current.start, "binop fill modifiers are experimental and not enabled (Prometheus: --enable-feature=promql-binop-fill-modifiers)")
        }
        return m
    }

    private mutating func makeBinary(_ mods: OperatorModifiers, _ lhs: Node, _ rhs: Node) throws(PromQLError) -> Node {
        let op = mods.op, opStart = mods.opStart, returnBool = mods.returnBool, matching = mods.matching
        let hasMatchingClause = mods.hasMatchingClause, groupStart = mods.groupStart
        // Too deep is reported at the operator that makes it so (the node starts at the chain's start).
        if max(lhs.height, rhs.height) >= Self.maxDepth { throw tooDeep(opStart) }
        let lt = lhs.type, rt = rhs.type
        for side in [lhs, rhs] where side.type != .scalar && side.type != .vector {
            typeCheck(side.start, "binary expression must contain only scalar and instant vector types")
        }
        if op.isComparison, !returnBool, lt == .scalar, rt == .scalar {
            typeCheck(opStart, "comparisons between scalars must use BOOL modifier")
        }
        if op.isSetOperator, lt == .scalar || rt == .scalar {
            typeCheck(lhs.start, "set operator \"\(op.rawValue)\" not allowed in binary scalar expression")
        }
        var m: VectorMatching?
        if lt == .vector, rt == .vector {
            var mm = matching
            if op.isSetOperator {
                if let groupStart {
                    typeCheck(groupStart, "no grouping allowed for \"\(op.rawValue)\" operation")
                }
                mm.cardinality = .manyToMany
            }
            if mm.on {
                for l in mm.include where mm.labels.contains(l) {
                    typeCheck(opStart, "label \"\(l)\" must not occur in ON and GROUP clause at once")
                }
            }
            m = mm
        } else if hasMatchingClause {
            typeCheck(opStart, "vector matching only allowed between instant vectors")
        }
        let e = Expr.binary(BinaryExpr(op: op, lhs: lhs.expr, rhs: rhs.expr, returnBool: returnBool, matching: m))
        return try node(e, lhs.start, rhs.end, lt == .scalar && rt == .scalar ? .scalar : .vector, over: lhs, rhs)
    }

    // MARK: unary and postfix

    private mutating func parseUnary() throws(PromQLError) -> Node {
        if let (start, minus) = takeUnaryOperator() {
            // Unary operators bind like `*`: the operand may contain `^` but nothing looser.
            return try makeUnary(start, minus, parseExpr(minPrecedence: BinaryOp.pow.precedence))
        }
        return try parsePostfix(parsePrimary())
    }

    /// Consumes a unary `-` or `+`: its offset and whether it is a minus.
    private mutating func takeUnaryOperator() -> (Int, Bool)? {
        guard current.kind == .sub || current.kind == .add else { return nil }
        let t = advance()
        return (t.start, t.kind == .sub)
    }

    private mutating func makeUnary(_ start: Int, _ minus: Bool, _ operand: Node) throws(PromQLError) -> Node {
        let type = operand.type
        if !(type == .scalar || type == .vector) {
            typeCheck(start, "unary expression only allowed on expressions of type scalar or instant vector, got \"\(type.rawValue)\"")
        }
        var same = operand
        same.start = start
        if !minus { return same }
        if case .number(let v) = operand.expr { same.expr = .number(-v); return same }
        return try node(.unaryMinus(operand.expr), start, operand.end, type, over: operand)
    }

    private mutating func parsePostfix(_ base: Node) throws(PromQLError) -> Node {
        var node = base
        while true {
            switch current.kind {
            case .identifier(let n) where ["anchored", "smoothed"].contains(n.lowercased()):
                throw error(current.start, "\(n.lowercased()) modifier is experimental and not enabled (Prometheus: --enable-feature=promql-extended-range-selectors)")
            case .leftBracket:
                node = try parseRangeOrSubquery(node)
            case .offset:
                _ = advance()
                let d = try parseOffsetDuration()
                node = try setOffset(node, d, end: d.end)
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
                    // Numbers and durations are interchangeable (Prometheus 3.0): `@ 100s`.
                    let v: Double
                    switch current.kind {
                    case .number(let n): v = n
                    case .duration(let ms): v = Double(ms) / 1000
                    default: throw unexpected(current, "@", expected: "timestamp")
                    }
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
        guard startsDurationExpr(current.kind) else {
            throw unexpected(current, "subquery or range selector", expected: "number, duration, step(), or range()")
        }
        let range = try parsePositiveDuration()
        if current.kind == .colon {
            _ = advance()
            var step: DurationValue?
            if current.kind != .rightBracket {
                guard startsDurationExpr(current.kind) else {
                    throw unexpected(current, "subquery selector", expected: "number, duration, step(), range(), or \"]\"")
                }
                let s = try parsePositiveDuration()
                // `x[5m:0.0005]`: positive, but 0 once in whole milliseconds; Prometheus would
                // step by 0 (and spin until its timeout), Vigil refuses it.
                if s.dynamic == nil, s.fixed == 0 { throw error(s.start, "subquery step must be at least 1ms") }
                step = s
            }
            let close = try expect(.rightBracket, "subquery selector", "\"]\"")
            if node.type != .vector {
                typeCheck(node.start, "subquery is only allowed on instant vector, got \(node.type.rawValue) instead")
            }
            var sq = Subquery(expr: node.expr, range: range.fixed, step: step?.fixed ?? 0)
            sq.rangeExpr = range.dynamic
            sq.stepExpr = step?.dynamic
            let h = max(node.height + 1, range.height + 1, (step?.height ?? 0) + 1)
            return try self.node(.subquery(sq), node.start, close.end, .matrix, height: h)
        }
        guard current.kind == .rightBracket else {
            throw unexpected(current, "subquery or range", expected: "\":\" or \"]\"")
        }
        let close = advance()
        guard case .vectorSelector(var vs) = node.expr else {
            throw error(open.start, "ranges only allowed for vector selectors")
        }
        if vs.offset != 0 || vs.offsetExpr != nil { throw error(open.start, "no offset modifiers allowed before range") }
        if vs.at != nil { throw error(open.start, "no @ modifiers allowed before range") }
        vs.rangeExpr = range.dynamic
        return try self.node(.matrixSelector(vs, range: range.fixed), node.start, close.end, .matrix, height: range.height + 1)
    }

    // MARK: duration expressions

    /// A duration after `[`, `:` or `offset`: folded to milliseconds when it does not depend on
    /// the query, else kept as an expression (`fixed` is then 0).
    struct DurationValue {
        var fixed: Int64
        var dynamic: DurationExpr?
        var start: Int
        var end: Int
        var height: Int
    }

    private func startsDurationExpr(_ k: Token.Kind) -> Bool {
        switch k {
        case .number, .duration, .leftParen, .add, .sub: return true
        case .identifier(let n): return Self.durationKeyword(n) != nil
        default: return false
        }
    }

    private enum DurationKeyword { case step, range, minOf, maxOf }

    private static func durationKeyword(_ name: String) -> DurationKeyword? {
        switch name.lowercased() {
        case "step": .step
        case "range": .range
        case "min_of": .minOf
        case "max_of": .maxOf
        default: nil
        }
    }

    /// A parsed duration expression before folding, with its span and tree height.
    private struct DurationNode {
        var expr: DurationExpr
        var start: Int
        var end: Int
        var height: Int
    }

    /// A range or a subquery step: Prometheus' positive_duration_expr.
    private mutating func parsePositiveDuration() throws(PromQLError) -> DurationValue {
        let d = try parseDurationExpr(minPrecedence: 0)
        return try fold(d, allowNegative: false)
    }

    /// `offset` takes one signed literal, `step()`, `range()`, `min_of(…)`/`max_of(…)` or a
    /// parenthesised duration expression: `x offset 100 + 2` is `(x offset 100) + 2` and
    /// `x offset -2 ^ 2` is `(x offset -2) ^ 2`, as in Prometheus' offset_duration_expr.
    private mutating func parseOffsetDuration() throws(PromQLError) -> DurationValue {
        guard startsDurationExpr(current.kind) else {
            throw unexpected(current, "offset", expected: "number, duration, step(), or range()")
        }
        try enter()
        defer { depth -= 1 }
        var d: DurationNode
        if current.kind == .sub || current.kind == .add {
            let sign = advance()
            guard startsDurationExpr(current.kind), current.kind != .sub, current.kind != .add else {
                throw unexpected(current, "offset", expected: "number, duration, step(), or range()")
            }
            let operand = try parseDurationPrimary()
            d = try negated(sign, operand)
        } else {
            d = try parseDurationPrimary()
        }
        return try fold(d, allowNegative: true)
    }

    private func negated(_ sign: Token, _ operand: DurationNode) throws(PromQLError) -> DurationNode {
        guard sign.kind == .sub else { return DurationNode(expr: operand.expr, start: sign.start, end: operand.end, height: operand.height) }
        switch operand.expr {
        case .number(let v): return DurationNode(expr: .number(-v), start: sign.start, end: operand.end, height: operand.height)
        case .duration(let ms): return DurationNode(expr: .duration(-ms), start: sign.start, end: operand.end, height: operand.height)
        default: break
        }
        return try durationNode(.negate(operand.expr), sign.start, operand.end, operand.height + 1)
    }

    private func durationNode(_ e: DurationExpr, _ start: Int, _ end: Int, _ height: Int) throws(PromQLError) -> DurationNode {
        if height > Self.maxDepth { throw tooDeep(start) }
        return DurationNode(expr: e, start: start, end: end, height: height)
    }

    /// Folds a constant expression (checking it as Prometheus' durationVisitor does, at its
    /// position); keeps one that needs `step()`/`range()` for the evaluator.
    private func fold(_ d: DurationNode, allowNegative: Bool) throws(PromQLError) -> DurationValue {
        guard d.expr.isConstant else {
            return DurationValue(fixed: 0, dynamic: d.expr, start: d.start, end: d.end, height: d.height)
        }
        do throws(DurationError) {
            let v = try d.expr.seconds(step: 0, range: 0)
            let ms: Int64
            switch d.expr {
            case .number, .duration:
                // A literal: rounded to the nanosecond as Prometheus does, then truncated to
                // the millisecond as its engine does (durationMilliseconds): 0.0015 is 1ms.
                if v <= 0, !allowNegative { throw DurationError("duration must be greater than 0") }
                if !v.isFinite || abs(v) > PromDurationParser.maxSeconds { throw DurationError("duration out of range") }
                if case .duration(let exact) = d.expr { ms = exact } else { ms = Self.milliseconds(ofSeconds: v) }
            default:
                ms = try DurationExpr.milliseconds(v, allowNegative: allowNegative)
            }
            return DurationValue(fixed: ms, dynamic: nil, start: d.start, end: d.end, height: 1)
        } catch {
            throw self.error(d.start, error.description)
        }
    }

    /// Go's `time.Duration(math.Round(v * 1e9))` in whole milliseconds, truncated toward zero
    /// (`durationMilliseconds`). `v` is finite and within ±maxSeconds, so nothing overflows.
    static func milliseconds(ofSeconds v: Double) -> Int64 {
        Int64((v * 1e9).rounded()) / 1_000_000
    }

    /// Arithmetic `+ - * / % ^` with PromQL's precedence, unary signs binding like `*`.
    private mutating func parseDurationExpr(minPrecedence: Int) throws(PromQLError) -> DurationNode {
        try enter()
        defer { depth -= 1 }
        var lhs = try parseDurationUnary()
        while let op = durationOp(current.kind), op.precedence >= minPrecedence {
            let opToken = advance()
            if !startsDurationExpr(current.kind) {
                throw unexpected(current, "duration expression", expected: "number, duration, step(), or range()")
            }
            let rhs = try parseDurationExpr(minPrecedence: op.isRightAssociative ? op.precedence : op.precedence + 1)
            if rhs.expr == .number(0) || rhs.expr == .duration(0), op == .div || op == .mod {
                throw error(opToken.start, op == .div ? "division by zero" : "modulo by zero")
            }
            lhs = try durationNode(.binary(op, lhs.expr, rhs.expr), lhs.start, rhs.end, max(lhs.height, rhs.height) + 1)
        }
        return lhs
    }

    private func durationOp(_ k: Token.Kind) -> BinaryOp? {
        switch k {
        case .add: .add
        case .sub: .sub
        case .mul: .mul
        case .div: .div
        case .mod: .mod
        case .pow: .pow
        default: nil
        }
    }

    private mutating func parseDurationUnary() throws(PromQLError) -> DurationNode {
        guard current.kind == .sub || current.kind == .add else { return try parseDurationPrimary() }
        let sign = advance()
        if !startsDurationExpr(current.kind) {
            throw unexpected(current, "duration expression", expected: "number, duration, step(), or range()")
        }
        return try negated(sign, parseDurationExpr(minPrecedence: BinaryOp.mul.precedence))
    }

    private mutating func parseDurationPrimary() throws(PromQLError) -> DurationNode {
        let t = current
        switch t.kind {
        case .number(let v):
            _ = advance()
            return DurationNode(expr: .number(v), start: t.start, end: t.end, height: 1)
        case .duration(let ms):
            _ = advance()
            return DurationNode(expr: .duration(ms), start: t.start, end: t.end, height: 1)
        case .leftParen:
            _ = advance()
            let inner = try parseDurationExpr(minPrecedence: 0)
            let close = try expect(.rightParen, "duration expression", "\")\"")
            return DurationNode(expr: inner.expr, start: t.start, end: close.end, height: inner.height)
        case .identifier(let name):
            guard let kw = Self.durationKeyword(name) else { break }
            _ = advance()
            _ = try expect(.leftParen, "duration expression", "\"(\"")
            switch kw {
            case .step, .range:
                let close = try expect(.rightParen, "duration expression", "\")\"")
                return DurationNode(expr: kw == .step ? .step : .range, start: t.start, end: close.end, height: 1)
            case .minOf, .maxOf:
                let a = try parseDurationExpr(minPrecedence: 0)
                _ = try expect(.comma, "duration expression", "\",\"")
                let b = try parseDurationExpr(minPrecedence: 0)
                let close = try expect(.rightParen, "duration expression", "\")\"")
                let e: DurationExpr = kw == .minOf ? .minOf(a.expr, b.expr) : .maxOf(a.expr, b.expr)
                return try durationNode(e, t.start, close.end, max(a.height, b.height) + 1)
            }
        default:
            break
        }
        throw unexpected(t, "duration expression", expected: "number, duration, step(), or range()")
    }

    private func setOffset(_ node: Node, _ d: DurationValue, end: Int) throws(PromQLError) -> Node {
        let msg = "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery"
        let height = max(node.height, d.height + 1)
        switch node.expr {
        case .vectorSelector(var s):
            if s.offset != 0 || s.offsetExpr != nil { throw error(node.start, "offset may not be set multiple times") }
            s.offset = d.fixed
            s.offsetExpr = d.dynamic
            return try self.node(.vectorSelector(s), node.start, end, node.type, height: height)
        case .matrixSelector(var s, let r):
            if s.offset != 0 || s.offsetExpr != nil { throw error(node.start, "offset may not be set multiple times") }
            s.offset = d.fixed
            s.offsetExpr = d.dynamic
            return try self.node(.matrixSelector(s, range: r), node.start, end, node.type, height: height)
        case .subquery(var s):
            if s.offset != 0 || s.offsetExpr != nil { throw error(node.start, "offset may not be set multiple times") }
            s.offset = d.fixed
            s.offsetExpr = d.dynamic
            return try self.node(.subquery(s), node.start, end, node.type, height: height)
        default:
            throw error(node.start, msg)
        }
    }

    private func setAt(_ node: Node, _ at: AtModifier, end: Int) throws(PromQLError) -> Node {
        switch node.expr {
        case .vectorSelector(var s):
            if s.at != nil { throw error(node.start, "@ <timestamp> may not be set multiple times") }
            s.at = at
            return Node(expr: .vectorSelector(s), start: node.start, end: end, type: node.type, height: node.height)
        case .matrixSelector(var s, let r):
            if s.at != nil { throw error(node.start, "@ <timestamp> may not be set multiple times") }
            s.at = at
            return Node(expr: .matrixSelector(s, range: r), start: node.start, end: end, type: node.type, height: node.height)
        case .subquery(var s):
            if s.at != nil { throw error(node.start, "@ <timestamp> may not be set multiple times") }
            s.at = at
            return Node(expr: .subquery(s), start: node.start, end: end, type: node.type, height: node.height)
        default:
            throw error(node.start, "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery")
        }
    }

    // MARK: primaries

    private enum PrimaryRoute {
        case paren, aggregation(AggregationOp), call(String), leaf
    }

    private mutating func parsePrimary() throws(PromQLError) -> Node {
        switch primaryRoute() {
        case .paren: return try parseParen()
        case .aggregation(let op): return try parseAggregation(op)
        case .call(let name): return try parseCall(name)
        case .leaf: return try parseLeaf()
        }
    }

    private func primaryRoute() -> PrimaryRoute {
        switch current.kind {
        case .leftParen: return .paren
        case .aggregator(let op):
            switch peekKind() {
            case .leftParen, .by, .without: return .aggregation(op)
            default: return .leaf
            }
        case .identifier(let name) where peekKind() == .leftParen: return .call(name)
        // `limitk by (x) (…)`: an aggregation Prometheus has only behind a flag.
        case .identifier(let name) where PromFunction.experimentalAggregations.contains(name)
            && (peekKind() == .by || peekKind() == .without): return .call(name)
        // `start()`, `end()`: experimental functions (the keywords of `@ start()` otherwise).
        case .start where peekKind() == .leftParen: return .call("start")
        case .end where peekKind() == .leftParen: return .call("end")
        default: return .leaf
        }
    }

    private mutating func parseParen() throws(PromQLError) -> Node {
        let start = advanceStart()
        let inner = try parseExpr(minPrecedence: 0)
        return try closeParen(start, inner)
    }

    private mutating func closeParen(_ start: Int, _ inner: Node) throws(PromQLError) -> Node {
        guard current.kind == .rightParen else { throw unexpected(current) }
        let close = advance()
        return try node(.paren(inner.expr), start, close.end, inner.type, over: inner)
    }

    /// A primary that contains no sub-expression: number, string, selector.
    private mutating func parseLeaf() throws(PromQLError) -> Node {
        let t = current
        switch t.kind {
        case .number(let v):
            _ = advance()
            return Node(expr: .number(v), start: t.start, end: t.end, type: .scalar)
        case .duration(let ms):
            // Numbers and durations are interchangeable (Prometheus 3.0): `1h` is 3600.
            _ = advance()
            return Node(expr: .number(Double(ms) / 1000), start: t.start, end: t.end, type: .scalar)
        case .string(let s):
            _ = advance()
            return Node(expr: .string(s), start: t.start, end: t.end, type: .string)
        case .aggregator:
            // Not followed by "(" or a grouping: a metric named like the keyword.
            _ = advance()
            return try parseSelector(name: t.text, start: t.start, end: t.end)
        case .by, .without, .offset, .land, .lor, .lunless, .start, .end:
            // Prometheus' grammar accepts these keywords as metric names.
            _ = advance()
            return try parseSelector(name: t.text, start: t.start, end: t.end)
        case .identifier(let name):
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
            typeCheck(start, "vector selector must contain at least one non-empty matcher")
        }
        let metricName = name ?? nameMatchers.first?.value
        return Node(expr: .vectorSelector(VectorSelector(name: metricName, matchers: matchers)), start: start, end: end, type: .vector)
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
        try expectOpenParen(context)
        var args: [Node] = []
        while !atRightParen() {
            args.append(try parseExpr(minPrecedence: 0))
            try argumentSeparator(context)
        }
        return (args, advanceEnd())
    }

    private func atRightParen() -> Bool { current.kind == .rightParen }

    private mutating func expectOpenParen(_ context: String) throws(PromQLError) {
        _ = try expect(.leftParen, context, "\"(\"")
    }

    private mutating func argumentSeparator(_ context: String) throws(PromQLError) {
        if current.kind == .comma {
            _ = advance()
            if current.kind == .rightParen { throw unexpected(current, context, expected: "expression") }
        } else if current.kind != .rightParen {
            throw unexpected(current, context, expected: "\",\" or \")\"")
        }
    }

    /// `by (…)`/`without (…)` of an aggregation.
    private struct Grouping {
        var labels: [String] = []
        var without = false
        var isSet = false
    }

    private mutating func parseGrouping() throws(PromQLError) -> Grouping {
        var g = Grouping()
        if current.kind == .by || current.kind == .without {
            g.without = advance().kind == .without
            g.labels = try parseLabelList("grouping")
            g.isSet = true
        }
        return g
    }

    private mutating func parseAggregation(_ op: AggregationOp) throws(PromQLError) -> Node {
        let start = advanceStart()
        let before = try parseGrouping()
        let args = try parseArgs("aggregation")
        return try finishAggregation(op, start, before, args.args, args.end)
    }

    private mutating func finishAggregation(_ op: AggregationOp, _ start: Int, _ before: Grouping, _ args: [Node],
                                            _ argsEnd: Int) throws(PromQLError) -> Node {
        var grouping = before.labels
        var without = before.without
        let groupingSet = before.isSet
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
            throw error(start, "wrong number of arguments for aggregate expression provided, expected \(want), got \(args.count)")
        }
        let vectorArg = args[want - 1]
        if vectorArg.type != .vector {
            typeCheck(vectorArg.start, "expected type instant vector in aggregation expression, got \(vectorArg.type.rawValue)")
        }
        var param: Expr?
        if op.takesParameter {
            let p = args[0]
            let wantType: ValueType = op == .countValues ? .string : .scalar
            if p.type != wantType {
                typeCheck(p.start, "expected type \(wantType.rawValue) in aggregation parameter, got \(p.type.rawValue)")
            }
            param = p.expr
        }
        let agg = AggregateExpr(op: op, expr: vectorArg.expr, param: param, grouping: grouping, without: without)
        return try node(.aggregate(agg), start, end, .vector, height: (args.map(\.height).max() ?? 0) + 1)
    }

    private mutating func parseCall(_ name: String) throws(PromQLError) -> Node {
        if PromFunction.experimentalAggregations.contains(name) {
            throw error(current.start, "\(name)() is experimental and must be enabled with --enable-feature=promql-experimental-functions")
        }
        let start = advanceStart()
        // Prometheus reports an unknown name when the call is reduced, after its arguments.
        let args = try parseArgs("function call")
        return try finishCall(name, start, args.args, args.end)
    }

    private mutating func finishCall(_ name: String, _ start: Int, _ args: [Node], _ end: Int) throws(PromQLError) -> Node {
        guard let f = PromFunction.all[name] else {
            if PromFunction.experimental.contains(name) {
                throw error(start, "function \(PromQLString.quote(name)) is not enabled (Prometheus: --enable-feature=promql-experimental-functions)")
            }
            if PromFunction.experimentalAggregations.contains(name) {
                throw error(start, "\(name)() is experimental and must be enabled with --enable-feature=promql-experimental-functions")
            }
            if let why = PromFunction.removed[name] {
                throw error(start, "unknown function with name \(PromQLString.quote(name)) (\(why))")
            }
            throw error(start, "unknown function with name \(PromQLString.quote(name))")
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
            typeCheck(start, "\(expected) in call to \(PromQLString.quote(name)), got \(args.count)")
        }
        for (i, a) in args.enumerated() {
            let want = f.argType(at: i)
            if a.type != want {
                typeCheck(a.start, "expected type \(want.rawValue) in call to function \(PromQLString.quote(name)), got \(a.type.rawValue)")
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
        return try node(.call(FunctionCall(function: f, args: args.map(\.expr))), start, end, f.returnType,
                        height: (args.map(\.height).max() ?? 0) + 1)
    }

    static func isValidLabelName(_ s: String) -> Bool {
        guard let first = s.utf8.first, Lexer.isAlpha(first) else { return false }
        return s.utf8.allSatisfy(Lexer.isAlphaNumeric)
    }
}
