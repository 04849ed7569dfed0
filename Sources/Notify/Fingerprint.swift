/// The fingerprint of a label set, computed as Prometheus' `model.LabelSet.Fingerprint()`
/// (which Alertmanager uses for alerts): FNV-1a 64 over the labels sorted by name, each name
/// and value followed by the separator byte 0xFF. Printed as 16 lowercase hex digits.
public struct Fingerprint: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let value: UInt64

    public init(_ value: UInt64) { self.value = value }

    private static let offset64: UInt64 = 14695981039346656037
    private static let prime64: UInt64 = 1099511628211
    private static let separator: UInt8 = 0xFF

    public init(labels: [String: String]) {
        var sum = Self.offset64
        func add(_ byte: UInt8) {
            sum ^= UInt64(byte)
            sum = sum &* Self.prime64
        }
        for name in labels.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            for b in name.utf8 { add(b) }
            add(Self.separator)
            for b in (labels[name] ?? "").utf8 { add(b) }
            add(Self.separator)
        }
        self.value = sum
    }

    /// 16 lowercase hex digits, zero padded (`%016x`), as in the webhook payload.
    public var description: String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }

    public static func < (a: Fingerprint, b: Fingerprint) -> Bool { a.value < b.value }
}
