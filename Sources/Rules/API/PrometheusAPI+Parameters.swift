import VigilCore

/// The time and duration parameters of the Prometheus HTTP API (`time`, `start`, `end`, `step`,
/// `timeout`), parsed as Prometheus' `web/api/v1` does, with every value range-checked so no
/// input can trap an integer conversion. Milliseconds out.
extension PrometheusAPI {
    /// A parameter that is not a valid value: answered 400 `bad_data` with this text.
    public struct BadData: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Prometheus' `MinTime`: `time.Unix(math.MinInt64/1000+62135596801, 0)`, in ms.
    public static let minTime: Int64 = -9_223_309_901_257_974_000
    /// Prometheus' `MaxTime`: `time.Unix(math.MaxInt64/1000-62135596801, 999999999)`, in ms.
    public static let maxTime: Int64 = 9_223_309_901_257_974_999
    /// `MinTime`/`MaxTime` formatted as RFC 3339 by Go (clients send these literally for
    /// "unbounded"; Go's parser itself only reads four-digit years).
    public static let minTimeFormatted = "-292273086-05-16T16:47:06Z"
    public static let maxTimeFormatted = "292277025-08-18T07:12:54.999999999Z"

    /// Unix seconds (a float: fractions are rounded to the millisecond, as Prometheus rounds
    /// them) within `minTime…maxTime`, RFC 3339 with up to nanoseconds and a `Z` or `±hh:mm`
    /// offset, or one of the two formatted bounds. Anything else, including NaN, ±Inf and
    /// numbers outside the range (where Prometheus' own `int64()` conversion yields garbage),
    /// is `cannot parse "X" to a valid timestamp`.
    public static func parseTime(_ text: String) throws(BadData) -> Int64 {
        let bad = BadData(message: "cannot parse \(PromQLString.quote(text)) to a valid timestamp")
        if let seconds = GoFloat.parse(text) {
            // 9223309901257974 s is even, so exactly representable; the guard keeps Int64() safe.
            guard seconds.isFinite, abs(seconds) <= 9_223_309_901_257_974 else { throw bad }
            let whole = seconds.rounded(.towardZero)
            let ms = Int64(whole) * 1000 + Int64(((seconds - whole) * 1000).rounded())
            guard ms >= minTime, ms <= maxTime else { throw bad }
            return ms
        }
        if let ms = RFC3339.milliseconds(text) { return ms }
        if text == minTimeFormatted { return minTime }
        if text == maxTimeFormatted { return maxTime }
        throw bad
    }

    /// Seconds as a float, or a Prometheus duration (`1h30m`, `500ms`), within Go's
    /// `time.Duration` (±292 years); truncated to milliseconds. Negative values pass (the
    /// caller decides: a `step` must be positive).
    public static func parseDuration(_ text: String) throws(BadData) -> Int64 {
        if let seconds = GoFloat.parse(text) {
            let ns = seconds * 1e9
            guard !ns.isNaN else { throw BadData(message: "cannot parse \(PromQLString.quote(text)) to a valid duration") }
            guard ns < 9.223372036854775807e18, ns >= -9.223372036854775808e18 else {
                throw BadData(message: "cannot parse \(PromQLString.quote(text)) to a valid duration. It overflows int64")
            }
            return Int64((seconds * 1000).rounded(.towardZero))
        }
        if let seconds = PromDuration.parse(text), seconds * 1e9 < 9.223372036854775807e18 {
            return Int64((seconds * 1000).rounded(.towardZero))
        }
        throw BadData(message: "cannot parse \(PromQLString.quote(text)) to a valid duration")
    }
}

/// The syntax of Go's `strconv.ParseFloat`: decimal with optional fraction and exponent,
/// hexadecimal with a mandatory `p` exponent, `inf`/`infinity`/`nan` in any case. No spaces.
/// Out-of-range magnitudes (`1e400`) are errors there, so nil here.
enum GoFloat {
    static func parse(_ text: String) -> Double? {
        var u = Substring(text).utf8[...]
        var sign = ""
        if let f = u.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") {
            sign = f == UInt8(ascii: "-") ? "-" : ""
            u = u.dropFirst()
        }
        let body = String(decoding: u, as: UTF8.self)
        switch body.lowercased() {
        case "inf", "infinity": return sign == "-" ? -.infinity : .infinity
        case "nan": return .nan
        default: break
        }
        guard isDecimal(u) || isHex(u) else { return nil }
        guard let v = Double(sign + body), v.isFinite else { return nil }
        return v
    }

    private static func digits(_ u: inout Substring.UTF8View.SubSequence, hex: Bool = false) -> Int {
        var n = 0
        while let c = u.first, isDigit(c) || (hex && isHexLetter(c)) { u = u.dropFirst(); n += 1 }
        return n
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func isHexLetter(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46) }

    private static func exponent(_ u: inout Substring.UTF8View.SubSequence, _ letters: [UInt8]) -> Bool {
        guard let e = u.first, letters.contains(e) else { return false }
        u = u.dropFirst()
        if let s = u.first, s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { u = u.dropFirst() }
        return digits(&u) > 0
    }

    private static func isDecimal(_ text: Substring.UTF8View.SubSequence) -> Bool {
        var u = text
        var n = digits(&u)
        if u.first == UInt8(ascii: ".") { u = u.dropFirst(); n += digits(&u) }
        guard n > 0 else { return false }
        if !u.isEmpty, !exponent(&u, [UInt8(ascii: "e"), UInt8(ascii: "E")]) { return false }
        return u.isEmpty
    }

    private static func isHex(_ text: Substring.UTF8View.SubSequence) -> Bool {
        var u = text
        guard u.count > 2, u.first == UInt8(ascii: "0"), [UInt8(ascii: "x"), UInt8(ascii: "X")].contains(u.dropFirst().first ?? 0) else { return false }
        u = u.dropFirst(2)
        var n = digits(&u, hex: true)
        if u.first == UInt8(ascii: ".") { u = u.dropFirst(); n += digits(&u, hex: true) }
        guard n > 0, exponent(&u, [UInt8(ascii: "p"), UInt8(ascii: "P")]) else { return false }
        return u.isEmpty
    }
}

/// Go's `time.Parse(time.RFC3339Nano, …)`: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±hh:mm)`, every
/// field range-checked (day within its month, second below 60), fraction digits beyond
/// nanoseconds ignored. Milliseconds since the epoch, the fraction truncated as Prometheus'
/// `timestamp.FromTime` does.
enum RFC3339 {
    static func milliseconds(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        func number(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= b.count else { return nil }
            var v = 0
            for c in b[at..<(at + count)] {
                guard c >= 0x30, c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            return v
        }
        func at(_ i: Int, _ c: Character) -> Bool { i < b.count && b[i] == c.asciiValue! }
        guard let year = number(0, 4), at(4, "-"), let month = number(5, 2), at(7, "-"), let day = number(8, 2),
              at(10, "T"), let hour = number(11, 2), at(13, ":"), let minute = number(14, 2), at(16, ":"),
              let second = number(17, 2) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month, year), hour < 24, minute < 60, second < 60 else { return nil }
        var i = 19
        var nanos = 0
        if at(i, ".") || at(i, ",") {
            i += 1
            var n = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if n < 9 { nanos = nanos * 10 + Int(b[i] - 0x30) }
                n += 1
                i += 1
            }
            guard n > 0 else { return nil }
            for _ in min(n, 9)..<9 { nanos *= 10 }
        }
        var offset = 0
        if at(i, "Z"), i + 1 == b.count {
            offset = 0
        } else if at(i, "+") || at(i, "-"), i + 6 == b.count, let oh = number(i + 1, 2), at(i + 3, ":"), let om = number(i + 4, 2),
                  oh < 24, om < 60 {
            offset = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
        } else {
            return nil
        }
        let days = daysFromCivil(year, month, day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offset)
        return seconds * 1000 + Int64(nanos / 1_000_000)
    }

    static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
