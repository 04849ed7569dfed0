/// Turns a PromQL expression into tokens. Context-sensitive like Prometheus' lexer: inside
/// `{…}` keywords are plain identifiers; inside `[…]` a colon separates range and step.
struct Lexer {
    private let input: [UInt8]
    private var pos = 0
    private var braceOpen = false
    private var bracketOpen = false
    private var parenDepth = 0

    static let keywords: [String: Token.Kind] = {
        var k: [String: Token.Kind] = [
            "and": .land, "or": .lor, "unless": .lunless, "atan2": .atan2,
            "offset": .offset, "by": .by, "without": .without, "on": .on, "ignoring": .ignoring,
            "group_left": .groupLeft, "group_right": .groupRight, "bool": .bool,
            "start": .start, "end": .end,
        ]
        for op in AggregationOp.allCases { k[op.rawValue] = .aggregator(op) }
        return k
    }()

    init(_ input: [UInt8]) { self.input = input }

    /// All tokens; a lexical error becomes a final `.lexError` token at its position.
    static func tokenize(_ input: [UInt8]) -> [Token] {
        var lexer = Lexer(input)
        var out: [Token] = []
        while true {
            do {
                let t = try lexer.next()
                out.append(t)
                if t.kind == .eof { return out }
            } catch {
                out.append(Token(kind: .lexError(error.message), start: error.offset, end: error.offset, text: ""))
                return out
            }
        }
    }

    private func error(_ offset: Int, _ message: String) -> PromQLError {
        PromQLError(input: input, offset: offset, message: message)
    }

    private func peek(_ k: Int = 0) -> UInt8? { pos + k < input.count ? input[pos + k] : nil }

    private static func isSpace(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d
    }
    static func isAlpha(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "_") || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)
    }
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    static func isAlphaNumeric(_ c: UInt8) -> Bool { isAlpha(c) || isDigit(c) }

    private func token(_ kind: Token.Kind, _ start: Int) -> Token {
        Token(kind: kind, start: start, end: pos, text: String(decoding: input[start..<pos], as: UTF8.self))
    }

    mutating func next() throws(PromQLError) -> Token {
        // Skip spaces and comments.
        while let c = peek() {
            if Self.isSpace(c) { pos += 1; continue }
            if c == UInt8(ascii: "#") {
                while let d = peek(), d != 0x0a { pos += 1; _ = d }
                continue
            }
            break
        }
        let start = pos
        guard let c = peek() else {
            if braceOpen { throw error(pos, "unexpected end of input inside braces") }
            if parenDepth > 0 { throw error(pos, "unclosed left parenthesis") }
            if bracketOpen { throw error(pos, "unclosed left bracket") }
            return Token(kind: .eof, start: pos, end: pos, text: "")
        }
        if braceOpen { return try insideBraces(c, start) }
        pos += 1
        switch c {
        case UInt8(ascii: ","): return token(.comma, start)
        case UInt8(ascii: "*"): return token(.mul, start)
        case UInt8(ascii: "/"): return token(.div, start)
        case UInt8(ascii: "%"): return token(.mod, start)
        case UInt8(ascii: "+"): return token(.add, start)
        case UInt8(ascii: "-"): return token(.sub, start)
        case UInt8(ascii: "^"): return token(.pow, start)
        case UInt8(ascii: "@"): return token(.at, start)
        case UInt8(ascii: "="):
            if peek() == UInt8(ascii: "=") { pos += 1; return token(.eqlc, start) }
            if peek() == UInt8(ascii: "~") { throw error(start, "unexpected character after '=': '~'") }
            return token(.eql, start)
        case UInt8(ascii: "!"):
            guard peek() == UInt8(ascii: "=") else {
                let next = peek().map { String(decoding: [$0], as: UTF8.self) } ?? ""
                throw error(start, "unexpected character after '!': '\(next)'")
            }
            pos += 1
            return token(.neq, start)
        case UInt8(ascii: "<"):
            if peek() == UInt8(ascii: "=") { pos += 1; return token(.lte, start) }
            if peek() == UInt8(ascii: "/") { pos += 1; return token(.trimUpper, start) }
            return token(.lss, start)
        case UInt8(ascii: ">"):
            if peek() == UInt8(ascii: "=") { pos += 1; return token(.gte, start) }
            if peek() == UInt8(ascii: "/") { pos += 1; return token(.trimLower, start) }
            return token(.gtr, start)
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"):
            return try string(quote: c, start)
        case UInt8(ascii: "("):
            parenDepth += 1
            return token(.leftParen, start)
        case UInt8(ascii: ")"):
            parenDepth -= 1
            // Prometheus reports this after emitting the parenthesis, one byte further.
            if parenDepth < 0 { throw error(pos, "unexpected right parenthesis ')'") }
            return token(.rightParen, start)
        case UInt8(ascii: "{"):
            braceOpen = true
            return token(.leftBrace, start)
        case UInt8(ascii: "}"):
            throw error(start, "unexpected character: '}'")
        case UInt8(ascii: "["):
            if bracketOpen { throw error(start, "unexpected left bracket '['") }
            bracketOpen = true
            return token(.leftBracket, start)
        case UInt8(ascii: "]"):
            if !bracketOpen { throw error(start, "unexpected right bracket ']'") }
            bracketOpen = false
            return token(.rightBracket, start)
        case UInt8(ascii: ":") where bracketOpen:
            return token(.colon, start)
        default:
            if Self.isDigit(c) || (c == UInt8(ascii: ".") && peek().map(Self.isDigit) == true) {
                pos = start
                return try numberOrDuration(start)
            }
            if Self.isAlpha(c) || c == UInt8(ascii: ":") {
                pos = start
                return identifierOrKeyword(start)
            }
            throw error(start, "unexpected character: '\(String(decoding: [c], as: UTF8.self))'")
        }
    }

    private mutating func insideBraces(_ c: UInt8, _ start: Int) throws(PromQLError) -> Token {
        pos += 1
        switch c {
        case UInt8(ascii: ","): return token(.comma, start)
        case UInt8(ascii: "}"):
            braceOpen = false
            return token(.rightBrace, start)
        case UInt8(ascii: "{"): throw error(start, "unexpected left brace '{'")
        case UInt8(ascii: "="):
            if peek() == UInt8(ascii: "~") { pos += 1; return token(.eqlRegex, start) }
            return token(.eql, start)
        case UInt8(ascii: "!"):
            if peek() == UInt8(ascii: "~") { pos += 1; return token(.neqRegex, start) }
            if peek() == UInt8(ascii: "=") { pos += 1; return token(.neq, start) }
            throw error(start, "unexpected character after '!' inside braces")
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"):
            return try string(quote: c, start)
        default:
            if Self.isAlpha(c) {
                while let d = peek(), Self.isAlphaNumeric(d) { pos += 1 }
                return token(.identifier(String(decoding: input[start..<pos], as: UTF8.self)), start)
            }
            throw error(start, "unexpected character inside braces: '\(String(decoding: [c], as: UTF8.self))'")
        }
    }

    private mutating func string(quote: UInt8, _ start: Int) throws(PromQLError) -> Token {
        let bodyStart = pos
        while true {
            guard let d = peek() else {
                throw error(start, quote == UInt8(ascii: "`") ? "unterminated raw string" : "unterminated quoted string")
            }
            if d == quote { break }
            if quote != UInt8(ascii: "`") {
                if d == 0x0a { throw error(start, "unterminated quoted string") }
                if d == UInt8(ascii: "\\") { pos += 1 }
            }
            pos += 1
        }
        let body = input[bodyStart..<pos]
        pos += 1
        switch PromQLString.unquote(body, quote: quote) {
        case .success(let s): return token(.string(s), start)
        case .failure(let m): throw error(bodyStart + m.offset, m.message)
        }
    }

    private mutating func identifierOrKeyword(_ start: Int) -> Token {
        while let d = peek(), Self.isAlphaNumeric(d) || d == UInt8(ascii: ":") { pos += 1 }
        let word = String(decoding: input[start..<pos], as: UTF8.self)
        let lower = word.lowercased()
        if let kw = Self.keywords[lower] { return token(kw, start) }
        if lower == "inf" { return token(.number(.infinity), start) }
        if lower == "nan" { return token(.number(.nan), start) }
        if word.contains(":") { return token(.metricIdentifier(word), start) }
        return token(.identifier(word), start)
    }

    /// A number (decimal, hex, octal, float with exponent, `_` separators) or a duration.
    private mutating func numberOrDuration(_ start: Int) throws(PromQLError) -> Token {
        // Durations: digits followed by a unit; several unit groups allowed (1h30m).
        var p = pos
        var isDuration = false
        while p < input.count, Self.isDigit(input[p]) { p += 1 }
        if p > pos, p < input.count, "smhdwy".utf8.contains(input[p]) {
            isDuration = true
        }
        if isDuration {
            var q = pos
            while q < input.count, Self.isAlphaNumeric(input[q]) { q += 1 }
            let text = String(decoding: input[pos..<q], as: UTF8.self)
            guard let seconds = PromDurationParser.parse(text) else {
                throw error(start, "bad duration syntax: \"\(text)\"")
            }
            guard seconds <= PromDurationParser.maxSeconds else { throw error(start, "duration out of range: \"\(text)\"") }
            pos = q
            return token(.duration(Int64((seconds * 1000).rounded())), start)
        }
        // Number.
        var q = pos
        if q + 1 < input.count, input[q] == UInt8(ascii: "0"), input[q + 1] | 0x20 == UInt8(ascii: "x") {
            q += 2
            while q < input.count, Self.isAlphaNumeric(input[q]) || input[q] == UInt8(ascii: "_") { q += 1 }
        } else {
            // digits [. digits] [e [+-] digits]; a second '.' or 'e' ends the number (as in
            // Prometheus, `1.5e31.5e3` is the number `1.5e31` followed by `.5e3`).
            var dot = false, exponent = false
            while q < input.count {
                let d = input[q]
                if Self.isDigit(d) || d == UInt8(ascii: "_") { q += 1; continue }
                if d == UInt8(ascii: "."), !dot, !exponent { dot = true; q += 1; continue }
                if d | 0x20 == UInt8(ascii: "e"), !exponent {
                    exponent = true
                    q += 1
                    if q < input.count, input[q] == UInt8(ascii: "+") || input[q] == UInt8(ascii: "-") { q += 1 }
                    continue
                }
                break
            }
            if q < input.count, Self.isAlpha(input[q]) {
                while q < input.count, Self.isAlphaNumeric(input[q]) { q += 1 }
                pos = q
                throw error(start, "bad number or duration syntax: \"\(String(decoding: input[start..<q], as: UTF8.self))\"")
            }
        }
        let text = String(decoding: input[pos..<q], as: UTF8.self)
        guard let v = Self.parseNumber(text) else {
            pos = q
            throw error(start, "bad number syntax: \"\(text)\"")
        }
        pos = q
        return token(.number(v), start)
    }

    /// Go's ParseInt(s, 0, 64) then ParseFloat: hex `0x1F`, octal `0755`, `_` between digits.
    static func parseNumber(_ raw: String) -> Double? {
        if raw.hasPrefix("_") || raw.hasSuffix("_") || raw.contains("__") { return nil }
        let s = raw.replacingOccurrences(of: "_", with: "")
        let lower = s.lowercased()
        if lower.hasPrefix("0x") {
            guard let v = UInt64(lower.dropFirst(2), radix: 16) else { return nil }
            return Double(v)
        }
        if s.count > 1, s.hasPrefix("0"), s.allSatisfy({ $0.isASCII && $0.isNumber }) {
            if let v = UInt64(s.dropFirst(), radix: 8) { return Double(v) }
            return Double(s)
        }
        if s.hasSuffix(".") || s.hasPrefix(".") {
            // Go accepts "1." and ".5".
            let fixed = s.hasPrefix(".") ? "0" + s : s + "0"
            return Double(fixed)
        }
        return Double(s)
    }
}
