/// Parses matchers the way Alertmanager's `matchers` fields accept them: one or more matchers
/// separated by commas, optionally wrapped in braces (`{a="b", c=~"d|e"}` or `a=b`). Names and
/// values may be double-quoted (with `\"`, `\\`, `\n`, `\t` escapes) or bare. Pure.
public enum MatcherParser {
    public static func parse(_ text: String) throws(MatcherError) -> [Matcher] {
        var s = Substring(text)
        func fail(_ message: String) -> MatcherError { MatcherError(text: text, message: message) }
        func skipSpace() { s = s.drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }) }

        skipSpace()
        var braced = false
        if s.first == "{" {
            braced = true
            s = s.dropFirst()
        }
        var out: [Matcher] = []
        while true {
            skipSpace()
            if braced, s.first == "}" { s = s.dropFirst(); break }
            if s.isEmpty {
                if braced { throw fail("missing closing brace") }
                break
            }
            let name = try token(&s, text: text, what: "label name")
            guard !name.isEmpty else { throw fail("expected a label name") }
            skipSpace()
            let kind: Matcher.Kind
            if s.hasPrefix("=~") { kind = .regex; s = s.dropFirst(2) }
            else if s.hasPrefix("!~") { kind = .notRegex; s = s.dropFirst(2) }
            else if s.hasPrefix("!=") { kind = .notEqual; s = s.dropFirst(2) }
            else if s.hasPrefix("=") { kind = .equal; s = s.dropFirst() }
            else { throw fail("expected one of =, !=, =~, !~ after \(Matcher.quote(name))") }
            skipSpace()
            let value = try token(&s, text: text, what: "label value")
            out.append(try Matcher(name: name, kind: kind, value: value))
            skipSpace()
            if s.first == "," { s = s.dropFirst(); continue }
            if braced, s.first == "}" { s = s.dropFirst(); break }
            if s.isEmpty, !braced { break }
            throw fail("unexpected \(Matcher.quote(String(s.prefix(10)))) after matcher")
        }
        skipSpace()
        guard s.isEmpty else { throw fail("unexpected text after closing brace") }
        guard !out.isEmpty || braced else { throw fail("no matcher") }
        return out
    }

    private static let special: Set<Character> = ["{", "}", "!", "=", "~", ",", "\\", "\"", "'", "`", " ", "\t", "\n", "\r"]

    private static func token(_ s: inout Substring, text: String, what: String) throws(MatcherError) -> String {
        if s.first == "\"" {
            s = s.dropFirst()
            var out = ""
            while let c = s.first {
                s = s.dropFirst()
                if c == "\"" { return out }
                if c == "\\" {
                    guard let e = s.first else { break }
                    s = s.dropFirst()
                    switch e {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "r": out.append("\r")
                    case "\\", "\"": out.append(e)
                    default: throw MatcherError(text: text, message: "invalid escape \\\(e) in \(what)")
                    }
                } else {
                    out.append(c)
                }
            }
            throw MatcherError(text: text, message: "unterminated quoted \(what)")
        }
        let bare = s.prefix(while: { !special.contains($0) })
        s = s.dropFirst(bare.count)
        return String(bare)
    }
}
