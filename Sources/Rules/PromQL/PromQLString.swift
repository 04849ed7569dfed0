/// Quoting and unquoting of PromQL string literals (Go's rules: `"…"` and `'…'` with escapes,
/// raw `` `…` `` without).
public enum PromQLString {
    /// Decodes the body of a quoted literal (without its quotes). Returns the error message and
    /// the byte offset (relative to the body) where decoding failed.
    static func unquote(_ body: ArraySlice<UInt8>, quote: UInt8) -> Result<String, PositionedMessage> {
        if quote == UInt8(ascii: "`") { return .success(String(decoding: body, as: UTF8.self)) }
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var i = body.startIndex
        let base = body.startIndex
        func fail(_ m: String, _ at: Int) -> Result<String, PositionedMessage> {
            .failure(PositionedMessage(offset: at - base, message: m))
        }
        while i < body.endIndex {
            let c = body[i]
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            let escStart = i
            i += 1
            guard i < body.endIndex else { return fail("escape sequence not terminated", escStart) }
            let e = body[i]
            i += 1
            switch e {
            case UInt8(ascii: "a"): out.append(7)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "v"): out.append(11)
            case UInt8(ascii: "\\"): out.append(e)
            case quote: out.append(e)
            case UInt8(ascii: "0")...UInt8(ascii: "7"), UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                let (n, radix): (Int, UInt32) = switch e {
                case UInt8(ascii: "x"): (2, 16)
                case UInt8(ascii: "u"): (4, 16)
                case UInt8(ascii: "U"): (8, 16)
                default: (3, 8)
                }
                var digitsStart = i
                if radix == 8 { digitsStart = i - 1 }
                var x: UInt32 = 0
                var j = digitsStart
                for _ in 0..<n {
                    guard j < body.endIndex else { return fail("escape sequence not terminated", escStart) }
                    guard let d = digitValue(body[j]), d < radix else {
                        return fail("illegal character in escape sequence", j)
                    }
                    x = x * radix + d
                    j += 1
                }
                i = j
                if e == UInt8(ascii: "u") || e == UInt8(ascii: "U") {
                    guard x <= 0x10FFFF, !(0xD800..<0xE000).contains(x), let scalar = Unicode.Scalar(x) else {
                        return fail("escape sequence is an invalid Unicode code point", escStart)
                    }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                } else {
                    guard x <= 255 else { return fail("escape sequence is an invalid Unicode code point", escStart) }
                    out.append(UInt8(x))
                }
            default:
                return fail("unknown escape sequence", escStart)
            }
        }
        return .success(String(decoding: out, as: UTF8.self))
    }

    private static func digitValue(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(c - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// A double-quoted literal for `s`, escaping as Go's `%q` does for the common cases.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 || u.value == 0x7f {
                    out += "\\x" + (u.value < 16 ? "0" : "") + String(u.value, radix: 16)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
