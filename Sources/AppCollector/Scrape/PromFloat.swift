/// Float formatting as Prometheus' Go code spells numbers.
enum PromFloat {
    /// Go's `strconv.FormatFloat(f, 'g', -1, 64)`: the shortest digits that round-trip, in
    /// exponent form when the decimal exponent is below -4 or at least 6 (`1e+06`, `1e-05`).
    static func goShortest(_ f: Double) -> String {
        if f.isNaN { return "NaN" }
        if f.isInfinite { return f > 0 ? "+Inf" : "-Inf" }
        if f == 0 { return f.sign == .minus ? "-0" : "0" }
        // Swift's description also prints the shortest round-tripping digits; only the layout differs.
        let text = "\(f.magnitude)"
        let parts = text.split(separator: "e")
        let exponent = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0]
        let dot = mantissa.firstIndex(of: ".")
        let intLength = dot.map { mantissa.distance(from: mantissa.startIndex, to: $0) } ?? mantissa.count
        var digits = Array(mantissa.filter { $0 != "." })
        var dp = intLength + exponent
        while digits.first == "0" { digits.removeFirst(); dp -= 1 }
        while digits.last == "0" { digits.removeLast() }
        let sign = f < 0 ? "-" : ""
        let nd = digits.count
        let exp = dp - 1
        if exp < -4 || exp >= 6 {
            var out = sign + String(digits[0])
            if nd > 1 { out += "." + String(digits[1...]) }
            let e = abs(exp)
            return out + "e" + (exp < 0 ? "-" : "+") + (e < 10 ? "0" : "") + String(e)
        }
        if dp <= 0 { return sign + "0." + String(repeating: "0", count: -dp) + String(digits) }
        if dp >= nd { return sign + String(digits) + String(repeating: "0", count: dp - nd) }
        return sign + String(digits[..<dp]) + "." + String(digits[dp...])
    }

    /// Prometheus 3.x's normalisation of `le` and `quantile` values: Go's shortest form, with
    /// `.0` after an integer (`1` → `1.0`, `0.25` stays, `1e+06` stays).
    static func openMetrics(_ f: Double) -> String {
        let s = goShortest(f)
        if f.isNaN || f.isInfinite || s.contains("e") || s.contains(".") { return s }
        return s + ".0"
    }
}
