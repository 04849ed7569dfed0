import Foundation

/// Go's fmt number formatting where Prometheus templates depend on it.
enum GoFormat {
    /// `%v` of a float64 (strconv 'g' with shortest precision): shortest round-trip digits,
    /// exponent form when the decimal exponent is below -4 or at least 6 (`1.234567e+06`).
    static func float(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == 0 { return v.sign == .minus ? "-0" : "0" }
        let (digits, exp) = shortestDigits(v)
        let sign = v < 0 ? "-" : ""
        // exp is the decimal exponent of the first digit (d.ddd × 10^exp).
        if exp < -4 || exp >= 6 {
            var mantissa = String(digits.first ?? "0")
            if digits.count > 1 { mantissa += "." + digits.dropFirst() }
            let e = exp < 0 ? "-" : "+"
            let ea = abs(exp)
            return "\(sign)\(mantissa)e\(e)\(ea < 10 ? "0" : "")\(ea)"
        }
        if exp < 0 {
            return sign + "0." + String(repeating: "0", count: -exp - 1) + digits
        }
        if digits.count <= exp + 1 {
            return sign + digits + String(repeating: "0", count: exp + 1 - digits.count)
        }
        let idx = digits.index(digits.startIndex, offsetBy: exp + 1)
        return sign + digits[..<idx] + "." + digits[idx...]
    }

    /// `strconv.FormatFloat(v, 'f', -1, 64)`: shortest round-trip digits, never an exponent
    /// (`1234567.891`, `0.0000001`); how the Prometheus HTTP API writes sample values.
    static func fixed(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == 0 { return v.sign == .minus ? "-0" : "0" }
        let (digits, exp) = shortestDigits(v)
        let sign = v < 0 ? "-" : ""
        if exp < 0 { return sign + "0." + String(repeating: "0", count: -exp - 1) + digits }
        if digits.count <= exp + 1 { return sign + digits + String(repeating: "0", count: exp + 1 - digits.count) }
        let idx = digits.index(digits.startIndex, offsetBy: exp + 1)
        return sign + digits[..<idx] + "." + digits[idx...]
    }

    /// `strconv.FormatFloat(v, 'e', -1, 64)`: `1e+00`, `1.5e-03`.
    static func exponent(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == 0 { return v.sign == .minus ? "-0e+00" : "0e+00" }
        let (digits, exp) = shortestDigits(v)
        var mantissa = String(digits.first ?? "0")
        if digits.count > 1 { mantissa += "." + digits.dropFirst() }
        let ea = abs(exp)
        return (v < 0 ? "-" : "") + mantissa + "e" + (exp < 0 ? "-" : "+") + (ea < 10 ? "0" : "") + "\(ea)"
    }

    /// Shortest round-trip decimal digits and exponent, from Swift's own shortest rendering.
    static func shortestDigits(_ v: Double) -> (String, Int) {
        let s = "\(abs(v))"
        var mantissa = s
        var exp = 0
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = String(s[..<e])
            exp = Int(s[s.index(after: e)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = String(parts[0])
        let frac = parts.count > 1 ? String(parts[1]) : ""
        var all = intPart + frac
        var pointPos = intPart.count + exp
        // Strip leading zeros.
        while all.hasPrefix("0"), all.count > 1 {
            all.removeFirst()
            pointPos -= 1
        }
        while all.hasSuffix("0"), all.count > 1 { all.removeLast() }
        return (all, pointPos - 1)
    }

    /// `%.Ng` as Go prints it (C's %g with Go's spelling of NaN and infinities).
    static func g(_ v: Double, _ precision: Int) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        return String(format: "%.\(precision)g", v)
    }

    /// A minimal `fmt.Sprintf`: verbs v s d f e g x X q t % with flags, width and precision.
    static func sprintf(_ format: String, _ args: [TemplateValue]) -> String {
        var out = ""
        var argIndex = 0
        let chars = Array(format)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "%" else { out.append(c); i += 1; continue }
            var j = i + 1
            var spec = ""
            while j < chars.count, "+-# 0".contains(chars[j]) { spec.append(chars[j]); j += 1 }
            // Width and precision: ASCII digits only, at most 10^6 as in Go (which prints
            // %!(BADWIDTH) / %!(BADPREC) past it and formats without them).
            let width = digits(chars, &j)
            if let width { if width <= maxWidth { spec += "\(width)" } else { out += "%!(BADWIDTH)" } }
            if j < chars.count, chars[j] == "." {
                j += 1
                let precision = digits(chars, &j) ?? 0
                if precision <= maxWidth { spec += ".\(precision)" } else { out += "%!(BADPREC)" }
            }
            guard j < chars.count else { out += "%!(NOVERB)"; break }
            let verb = chars[j]
            i = j + 1
            if verb == "%" { out += "%"; continue }
            guard argIndex < args.count else { out += "%!\(verb)(MISSING)"; continue }
            let arg = args[argIndex]
            argIndex += 1
            switch (verb, arg) {
            case ("f", .number(let v)), ("F", .number(let v)), ("e", .number(let v)), ("g", .number(let v)), ("E", .number(let v)):
                if v.isNaN || v.isInfinite { out += float(v) } else { out += String(format: "%\(spec)\(verb)", v) }
            case ("d", .number(let v)) where v == v.rounded() && abs(v) < 9e18:
                out += String(format: "%\(spec)lld", Int64(v))
            case ("x", .number(let v)) where v == v.rounded() && abs(v) < 9e18:
                out += String(format: "%\(spec)llx", Int64(v))
            case ("s", _), ("v", _):
                let s = arg.rendered
                out += pad(s, spec)
            case ("q", _):
                out += PromQLString.quote(arg.rendered)
            case ("t", .bool(let b)):
                out += b ? "true" : "false"
            default:
                out += "%!\(verb)(\(typeName(arg))=\(arg.rendered))"
            }
        }
        if argIndex < args.count {
            out += "%!(EXTRA " + args[argIndex...].map { "\(typeName($0))=\($0.rendered)" }.joined(separator: ", ") + ")"
        }
        return out
    }

    /// Go's fmt refuses widths and precisions above 10^6.
    static let maxWidth = 1_000_000

    /// An ASCII decimal number at `j` (advanced past it), saturating above `maxWidth`.
    private static func digits(_ chars: [Character], _ j: inout Int) -> Int? {
        var n: Int?
        while j < chars.count, let d = chars[j].asciiValue, d >= 0x30, d <= 0x39 {
            n = min((n ?? 0) * 10 + Int(d - 0x30), maxWidth + 1)
            j += 1
        }
        return n
    }

    private static func pad(_ s: String, _ spec: String) -> String {
        let left = spec.contains("-")
        let widthPart = spec.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let width = Int(widthPart.filter { $0.isASCII && $0.isNumber }) ?? 0
        guard s.count < width else { return s }
        let padding = String(repeating: " ", count: width - s.count)
        return left ? s + padding : padding + s
    }

    private static func typeName(_ v: TemplateValue) -> String {
        switch v {
        case .string: "string"
        case .number: "float64"
        case .bool: "bool"
        case .map: "map[string]string"
        case .list: "template.queryResult"
        case .sample: "*template.sample"
        case .object: "struct"
        case .null: "<nil>"
        }
    }
}
