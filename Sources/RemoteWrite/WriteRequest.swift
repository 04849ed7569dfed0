/// Remote write 1.0's `prometheus.WriteRequest`, hand-encoded. Only four messages take part
/// (prompb/remote.proto and types.proto):
///
///     message WriteRequest { repeated TimeSeries timeseries = 1; }   // metadata = 3 unused
///     message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
///     message Label        { string name = 1; string value = 2; }
///     message Sample       { double value = 1; int64 timestamp = 2; }   // milliseconds
///
/// so a generated library (swift-protobuf and its protoc plugin, minutes of build on two
/// cores) would buy nothing. Pure: bytes in, bytes out.
public enum WriteRequest {
    /// One sample waiting to be sent: its series' labels already encoded as TimeSeries field 1
    /// entries (see `encodeLabels`), its value and its timestamp in milliseconds.
    public struct Pending: Sendable, Hashable {
        public var labels: [UInt8]
        public var value: Double
        public var timestamp: Int64

        public init(labels: [UInt8], value: Double, timestamp: Int64) {
            self.labels = labels
            self.value = value
            self.timestamp = timestamp
        }
    }

    /// `labels` (already sorted by name, names unique, values non-empty) as the repeated
    /// `Label labels = 1` field of a TimeSeries.
    public static func encodeLabels(_ labels: [(name: String, value: String)]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(labels.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 6 })
        for l in labels {
            let name = l.name.utf8.count, value = l.value.utf8.count
            out.append(0x0A)  // field 1, length-delimited
            appendVarint(UInt64(name + value + 2 + varintSize(UInt64(name)) + varintSize(UInt64(value))), to: &out)
            out.append(0x0A)  // Label.name
            appendVarint(UInt64(name), to: &out)
            out.append(contentsOf: l.name.utf8)
            out.append(0x12)  // Label.value
            appendVarint(UInt64(value), to: &out)
            out.append(contentsOf: l.value.utf8)
        }
        return out
    }

    /// A WriteRequest holding one TimeSeries per sample, in order (as Prometheus' queue
    /// manager sends them).
    public static func encode(_ samples: some Sequence<Pending>) -> [UInt8] {
        var out: [UInt8] = []
        for s in samples {
            // Sample: 0x09 + 8 bytes of double, 0x10 + varint timestamp.
            let ts = UInt64(bitPattern: s.timestamp)
            let sampleSize = 9 + 1 + varintSize(ts)
            let seriesSize = s.labels.count + 1 + varintSize(UInt64(sampleSize)) + sampleSize
            out.append(0x0A)  // WriteRequest.timeseries
            appendVarint(UInt64(seriesSize), to: &out)
            out.append(contentsOf: s.labels)
            out.append(0x12)  // TimeSeries.samples
            appendVarint(UInt64(sampleSize), to: &out)
            out.append(0x09)  // Sample.value, fixed64
            var bits = s.value.bitPattern
            for _ in 0..<8 {
                out.append(UInt8(truncatingIfNeeded: bits))
                bits >>= 8
            }
            out.append(0x10)  // Sample.timestamp, varint
            appendVarint(ts, to: &out)
        }
        return out
    }

    static func varintSize(_ v: UInt64) -> Int {
        var n = 1, v = v >> 7
        while v != 0 { n += 1; v >>= 7 }  // at most 10 rounds
        return n
    }

    static func appendVarint(_ v: UInt64, to out: inout [UInt8]) {
        var v = v
        while v >= 0x80 {  // at most 9 rounds
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
}
