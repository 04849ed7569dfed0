public import Foundation

/// The `Retry-After` header of an HTTP answer (RFC 9110 §10.2.3), read the one way for every
/// client that honours it (notification receivers, remote-write stores). Pure: `now` comes in.
public enum RetryAfter {
    /// The longest value read: a date is under 40 characters; anything longer is not a
    /// `Retry-After`, and is not handed to a date parser.
    static let maxLength = 64

    /// Seconds to wait from `now`: delay-seconds (ASCII digits only) or an HTTP-date
    /// (IMF-fixdate, and the obsolete RFC 850 and asctime forms), 0 for a date already past;
    /// nil for anything else (a sign, a fraction, NaN, a number too long to be finite).
    public static func seconds(_ value: String, now: Date) -> Double? {
        guard value.utf8.count <= 4 * maxLength else { return nil }
        let v = value.trimmingCharacters(in: .whitespaces)
        guard !v.isEmpty, v.utf8.count <= maxLength else { return nil }
        if v.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            return Double(v)
        }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "GMT")
            f.dateFormat = format
            if let d = f.date(from: v) {
                let delay = d.timeIntervalSince(now)
                return delay.isFinite ? max(0, delay) : nil
            }
        }
        return nil
    }
}
