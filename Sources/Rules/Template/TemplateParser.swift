/// Parses template source into `Template.Node`s.
struct TemplateParser {
    private let chars: [Character]
    private var pos = 0
    /// Current nesting of blocks (`if`/`with`/`range` bodies) and parenthesised pipelines, one
    /// counter for both; the executor recurses only along this nesting, so it is bounded too.
    private var depth = 0
    static let maxDepth = 64

    init(_ source: String) { chars = Array(source) }

    private func err(_ m: String) -> Template.TemplateError { Template.TemplateError(message: m) }

    mutating func parseAll() throws(Template.TemplateError) -> [Template.Node] {
        let (nodes, terminator) = try parseList()
        if let terminator { throw err("unexpected {{\(terminator)}}") }
        return nodes
    }

    /// Parses nodes until `{{end}}`, `{{else…}}` or the end; returns the terminator keyword.
    private mutating func parseList() throws(Template.TemplateError) -> ([Template.Node], String?) {
        try enter()
        defer { depth -= 1 }
        var nodes: [Template.Node] = []
        while pos < chars.count {
            guard let open = find("{{", from: pos) else {
                nodes.append(.text(String(chars[pos...])))
                pos = chars.count
                break
            }
            var text = String(chars[pos..<open])
            var inner = open + 2
            if inner < chars.count, chars[inner] == "-", inner + 1 < chars.count, chars[inner + 1].isWhitespace {
                while let last = text.last, last.isWhitespace { text.removeLast() }
                inner += 1
            }
            if !text.isEmpty { nodes.append(.text(text)) }
            guard let close = findClose(from: inner) else { throw err("unclosed action") }
            var contentEnd = close
            var after = close + 2
            if close > inner, chars[close - 1] == "-", close - 2 >= inner, chars[close - 2].isWhitespace {
                contentEnd = close - 1
                var a = after
                while a < chars.count, chars[a].isWhitespace { a += 1 }
                after = a
            }
            let content = String(chars[inner..<contentEnd]).trimmingCharacters(in: .whitespacesAndNewlines)
            pos = after
            if content.hasPrefix("/*") {
                guard content.hasSuffix("*/") else { throw err("unclosed comment") }
                continue
            }
            let word = content.prefix(while: { !$0.isWhitespace })
            switch word {
            case "end":
                return (nodes, "end")
            case "else":
                return (nodes, content)
            case "if", "with":
                let cond = try parsePipeline(String(content.dropFirst(word.count)))
                let (then, term) = try parseList()
                var els: [Template.Node] = []
                guard let term else { throw err("unexpected EOF: missing {{end}}") }
                if term != "end" {
                    // "else" or "else if …"
                    let rest = term.dropFirst(4).trimmingCharacters(in: .whitespaces)
                    if rest.hasPrefix("if ") {
                        // else if: parse as nested if that consumes the shared {{end}}.
                        let nestedCond = try parsePipeline(String(rest.dropFirst(2)))
                        let (nThen, nTerm) = try parseList()
                        var nElse: [Template.Node] = []
                        if nTerm != "end" {
                            guard nTerm == "else" else { throw err("unsupported else-chain") }
                            let (e, t2) = try parseList()
                            guard t2 == "end" else { throw err("missing {{end}}") }
                            nElse = e
                        }
                        els = [.ifBlock(cond: nestedCond, then: nThen, else: nElse)]
                    } else {
                        let (e, t2) = try parseList()
                        guard t2 == "end" else { throw err("missing {{end}}") }
                        els = e
                    }
                }
                nodes.append(word == "if" ? .ifBlock(cond: cond, then: then, else: els) : .withBlock(value: cond, then: then, else: els))
            case "range":
                var rest = String(content.dropFirst(word.count)).trimmingCharacters(in: .whitespaces)
                var indexVar: String?, elementVar: String?
                if rest.hasPrefix("$"), let assign = rest.range(of: ":=") {
                    let names = rest[..<assign.lowerBound].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    guard (1...2).contains(names.count), names.allSatisfy({ $0.hasPrefix("$") && $0.count > 1 }) else {
                        throw err("bad range variables")
                    }
                    if names.count == 2 { indexVar = String(names[0].dropFirst()) }
                    elementVar = String(names[names.count - 1].dropFirst())
                    rest = String(rest[assign.upperBound...])
                }
                let value = try parsePipeline(rest)
                let (body, term) = try parseList()
                guard let term else { throw err("unexpected EOF: missing {{end}}") }
                var els: [Template.Node] = []
                if term != "end" {
                    guard term == "else" else { throw err("unsupported else-chain in range") }
                    let (e, t2) = try parseList()
                    guard t2 == "end" else { throw err("missing {{end}}") }
                    els = e
                }
                nodes.append(.rangeBlock(indexVar: indexVar, elementVar: elementVar, value: value, body: body, else: els))
            case "template", "define", "block":
                throw err("\(word) is not supported in alert templates")
            default:
                nodes.append(.action(try parsePipeline(content)))
            }
        }
        return (nodes, nil)
    }

    private func find(_ s: String, from: Int) -> Int? {
        let needle = Array(s)
        var i = from
        while i + needle.count <= chars.count {
            if Array(chars[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }

    /// The `}}` closing an action, skipping string literals.
    private func findClose(from: Int) -> Int? {
        var i = from
        while i + 1 < chars.count {
            let c = chars[i]
            if c == "\"" || c == "`" {
                var j = i + 1
                while j < chars.count, chars[j] != c { j += (c == "\"" && chars[j] == "\\") ? 2 : 1 }
                i = j + 1
                continue
            }
            if c == "}", chars[i + 1] == "}" { return i }
            i += 1
        }
        return nil
    }

    // MARK: pipelines

    private mutating func enter() throws(Template.TemplateError) {
        depth += 1
        if depth > Self.maxDepth { throw err("template nested too deeply (more than \(Self.maxDepth) levels of blocks and parentheses)") }
    }

    private mutating func parsePipeline(_ text: String) throws(Template.TemplateError) -> Template.Pipeline {
        var lexer = PipelineLexer(Array(text))
        let tokens = try lexer.tokens()
        var i = 0
        let p = try pipeline(tokens, &i)
        guard i == tokens.count else { throw err("unexpected \"\(tokens[i])\" in action") }
        return p
    }

    private mutating func pipeline(_ tokens: [String], _ i: inout Int) throws(Template.TemplateError) -> Template.Pipeline {
        try enter()
        defer { depth -= 1 }
        var declare: String?
        if i + 1 < tokens.count, tokens[i].hasPrefix("$"), tokens[i + 1] == ":=" || tokens[i + 1] == "=" {
            declare = String(tokens[i].dropFirst())
            i += 2
        }
        var commands: [[Template.Term]] = []
        var current: [Template.Term] = []
        while i < tokens.count, tokens[i] != ")" {
            let t = tokens[i]
            if t == "|" {
                guard !current.isEmpty else { throw err("missing command before |") }
                commands.append(current)
                current = []
                i += 1
                continue
            }
            if t == "(" {
                i += 1
                let sub = try pipeline(tokens, &i)
                guard i < tokens.count, tokens[i] == ")" else { throw err("unclosed left paren") }
                i += 1
                current.append(.sub(sub))
                continue
            }
            current.append(try term(t))
            i += 1
        }
        guard !current.isEmpty else { throw err("missing value for command") }
        commands.append(current)
        return Template.Pipeline(declare: declare, commands: commands)
    }

    private func term(_ t: String) throws(Template.TemplateError) -> Template.Term {
        if t.hasPrefix("\"") {
            switch PromQLString.unquote(Array(t.utf8).dropFirst().dropLast(), quote: UInt8(ascii: "\"")) {
            case .success(let s): return .literal(.string(s))
            case .failure(let m): throw err(m.message)
            }
        }
        if t.hasPrefix("`") { return .literal(.string(String(t.dropFirst().dropLast()))) }
        if t.hasPrefix("$") {
            let parts = t.dropFirst().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            let name = parts[0].isEmpty ? "$" : parts[0]
            return .variable(name, fields: Array(parts.dropFirst()))
        }
        if t == "." { return .dot(fields: []) }
        if t.hasPrefix(".") { return .dot(fields: t.dropFirst().split(separator: ".").map(String.init)) }
        if t == "true" || t == "false" { return .literal(.bool(t == "true")) }
        if t == "nil" { return .literal(.null) }
        if let v = Double(t) { return .literal(.number(v)) }
        if let first = t.first, first == "-" || first == "+", let v = Double(t) { return .literal(.number(v)) }
        guard TemplateFunctions.names.contains(t) else { throw err("function \"\(t)\" not defined") }
        return .function(t)
    }
}
