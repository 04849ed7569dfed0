/// Hides secrets in strings that may reach logs, errors or `check-config` output.
public enum Redaction {
    public static let mask = "<secret>"

    /// Masks the password of a URL (`scheme://user:password@host/...`) and `password=` query values.
    public static func url(_ text: String) -> String {
        var s = text
        if let schemeEnd = s.range(of: "://") {
            let afterScheme = s[schemeEnd.upperBound...]
            let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterScheme.endIndex
            let authority = afterScheme[..<authorityEnd]
            if let at = authority.lastIndex(of: "@") {
                let userinfo = authority[..<at]
                if let colon = userinfo.firstIndex(of: ":") {
                    s.replaceSubrange(s.index(after: colon)..<at, with: mask)
                }
            }
        }
        return maskKeyValues(s, separators: ["&", "?"])
    }

    /// Masks `password=...` in a libpq key/value connection string or a URL query.
    public static func conninfo(_ text: String) -> String {
        if text.contains("://") { return url(text) }
        var out: [String] = []
        var i = text.startIndex
        // Walk key = value pairs; values may be single-quoted with backslash escapes.
        while i < text.endIndex {
            while i < text.endIndex, text[i] == " " { i = text.index(after: i) }
            guard i < text.endIndex else { break }
            let keyStart = i
            while i < text.endIndex, text[i] != "=", text[i] != " " { i = text.index(after: i) }
            let key = text[keyStart..<i]
            while i < text.endIndex, text[i] == " " || text[i] == "=" { i = text.index(after: i) }
            let valueStart = i
            if i < text.endIndex, text[i] == "'" {
                i = text.index(after: i)
                while i < text.endIndex, text[i] != "'" {
                    if text[i] == "\\" { i = text.index(after: i) }
                    if i < text.endIndex { i = text.index(after: i) }
                }
                if i < text.endIndex { i = text.index(after: i) }
            } else {
                while i < text.endIndex, text[i] != " " { i = text.index(after: i) }
            }
            let value = text[valueStart..<i]
            out.append(key.lowercased() == "password" ? "\(key)=\(mask)" : "\(key)=\(value)")
        }
        return out.joined(separator: " ")
    }

    private static func maskKeyValues(_ s: String, separators: [Character]) -> String {
        guard let q = s.firstIndex(of: "?") else { return s }
        let head = s[...q]
        let query = s[s.index(after: q)...]
        let parts = query.split(separator: "&", omittingEmptySubsequences: false).map { part -> String in
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0].lowercased() == "password" { return "\(kv[0])=\(mask)" }
            return String(part)
        }
        return head + parts.joined(separator: "&")
    }
}
