/// Prometheus' staleness marker: a specific NaN bit pattern that never results from arithmetic.
public enum StaleMarker {
    public static let value = Double(bitPattern: 0x7ff0_0000_0000_0002)

    public static func isStale(_ v: Double) -> Bool { v.bitPattern == 0x7ff0_0000_0000_0002 }
}
