/// The reply of `INFO` split into sections of `key:value` fields, in server order.
/// Pure: parsing never fails; lines that are not `key:value` are ignored.
struct RedisInfo: Sendable, Equatable {
    struct Field: Sendable, Equatable {
        var section: String
        var key: String
        var value: String
    }

    var fields: [Field]

    /// Parses the text of `INFO [section]` (`# Section` headers, `key:value` lines, CRLF or LF).
    init(parsing text: String) {
        var fields: [Field] = []
        var section = ""
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let line = rawLine.trimmingWhitespace()
            if line.hasPrefix("# ") {
                section = String(line.dropFirst(2))
                continue
            }
            guard line.count >= 2, let colon = line.firstIndex(of: ":") else { continue }
            fields.append(Field(section: section, key: String(line[..<colon]), value: String(line[line.index(after: colon)...])))
        }
        self.fields = fields
    }

    /// The value of the first field named `key`, in any section.
    subscript(key: String) -> String? {
        fields.first(where: { $0.key == key })?.value
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}

/// A field value that is a finite number (`nan`, `inf` and `1e999` are not); nil otherwise.
func finiteNumber(_ s: some StringProtocol) -> Double? {
    guard let v = Double(s), v.isFinite else { return nil }
    return v
}

/// A field value that is a finite, non-negative number (a count, a duration); nil otherwise.
func countNumber(_ s: some StringProtocol) -> Double? {
    guard let v = finiteNumber(s), v >= 0 else { return nil }
    return v
}

/// `a=1,b=2` → [("a","1"), ("b","2")]; nil when a part has no `=`.
func parseCommaPairs(_ s: String) -> [(String, String)]? {
    var out: [(String, String)] = []
    for part in s.split(separator: ",", omittingEmptySubsequences: false) {
        guard let eq = part.firstIndex(of: "=") else { return nil }
        out.append((String(part[..<eq]), String(part[part.index(after: eq)...])))
    }
    return out
}
