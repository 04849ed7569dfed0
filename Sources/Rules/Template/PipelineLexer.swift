/// Splits an action into words, strings, `(`, `)`, `|`, `:=`.
struct PipelineLexer {
    let chars: [Character]
    var i = 0
    init(_ chars: [Character]) { self.chars = chars }

    mutating func tokens() throws(Template.TemplateError) -> [String] {
        var out: [String] = []
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace { i += 1; continue }
            if c == "(" || c == ")" || c == "|" { out.append(String(c)); i += 1; continue }
            if c == ":" , i + 1 < chars.count, chars[i + 1] == "=" { out.append(":="); i += 2; continue }
            if c == "\"" || c == "`" {
                var j = i + 1
                while j < chars.count, chars[j] != c { j += (c == "\"" && chars[j] == "\\") ? 2 : 1 }
                guard j < chars.count else { throw Template.TemplateError(message: "unterminated quoted string") }
                out.append(String(chars[i...j]))
                i = j + 1
                continue
            }
            var j = i
            while j < chars.count, !chars[j].isWhitespace, !"()|".contains(chars[j]) { j += 1 }
            out.append(String(chars[i..<j]))
            i = j
        }
        return out
    }
}
