/// Escaping for everything the status page takes from outside (label values, annotations,
/// error texts, names from the configuration): one function for text and attribute values.
enum HTML {
    /// `text` safe inside an element or a double- or single-quoted attribute: `& < > " '` become
    /// entities; control characters (C0 but tab and newline, DEL, C1) and the bidirectional
    /// overrides that could make a label read as something else become U+FFFD, shown as `�`.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n": out.unicodeScalars.append(scalar)
            default:
                if isHidden(scalar.value) {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// C0 controls, DEL, C1 controls, bidi embeddings/overrides/isolates.
    private static func isHidden(_ v: UInt32) -> Bool {
        v < 0x20 || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
    }
}
