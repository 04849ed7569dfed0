import Foundation
import RemoteWrite
import Testing
import VigilCore

/// A protobuf reader written for these tests only (not Vigil's encoder run backwards): it knows
/// the wire format and prompb's field numbers, nothing else.
struct ProtoReader {
    enum Field {
        case varint(UInt64), fixed64(UInt64), bytes([UInt8])
    }

    struct Bad: Error {}

    static func fields(_ b: [UInt8]) throws -> [(Int, Field)] {
        var out: [(Int, Field)] = []
        var i = 0
        func varint() throws -> UInt64 {
            var v: UInt64 = 0
            for shift in stride(from: 0, to: 70, by: 7) {
                guard i < b.count else { throw Bad() }
                let byte = b[i]
                i += 1
                v |= UInt64(byte & 0x7F) << UInt64(shift)
                if byte < 0x80 { return v }
            }
            throw Bad()
        }
        while i < b.count {
            let key = try varint()
            switch key & 7 {
            case 0: out.append((Int(key >> 3), .varint(try varint())))
            case 1:
                guard i + 8 <= b.count else { throw Bad() }
                var v: UInt64 = 0
                for k in 0..<8 { v |= UInt64(b[i + k]) << UInt64(8 * k) }
                i += 8
                out.append((Int(key >> 3), .fixed64(v)))
            case 2:
                let n = Int(try varint())
                guard i + n <= b.count else { throw Bad() }
                out.append((Int(key >> 3), .bytes(Array(b[i..<i + n]))))
                i += n
            default: throw Bad()
            }
        }
        return out
    }

    /// WriteRequest → [(labels in order, [(value, timestamp)])].
    static func writeRequest(_ b: [UInt8]) throws -> [([(String, String)], [(Double, Int64)])] {
        var series: [([(String, String)], [(Double, Int64)])] = []
        for case (1, .bytes(let ts)) in try fields(b) {
            var labels: [(String, String)] = []
            var samples: [(Double, Int64)] = []
            for (n, f) in try fields(ts) {
                guard case .bytes(let m) = f else { throw Bad() }
                if n == 1 {
                    var name = "", value = ""
                    for case (let k, .bytes(let s)) in try fields(m) {
                        if k == 1 { name = String(decoding: s, as: UTF8.self) } else if k == 2 { value = String(decoding: s, as: UTF8.self) }
                    }
                    labels.append((name, value))
                } else if n == 2 {
                    var v = 0.0, t: Int64 = 0
                    for (k, sf) in try fields(m) {
                        if k == 1, case .fixed64(let bits) = sf { v = Double(bitPattern: bits) }
                        if k == 2, case .varint(let raw) = sf { t = Int64(bitPattern: raw) }
                    }
                    samples.append((v, t))
                }
            }
            series.append((labels, samples))
        }
        return series
    }
}

@Suite("Remote write encoding")
struct WriteRequestTests {
    @Test("a WriteRequest decodes, by an independent reader, into the series, values and timestamps encoded")
    func roundTrip() throws {
        let encoder = SeriesEncoder(externalLabels: ["replica": "a", "env": "prod"], relabel: [])
        let families = [
            MetricFamily.gauge("pg_up", "up", value: 1, labels: ["server": "db1"]),
            MetricFamily.counter("redis_commands_total", "c", [Sample(["cmd": "get", "env": "mine"], 12345.5),
                                                               Sample(["cmd": "ünïcode", "empty": ""], -0.25)]),
            MetricFamily.gauge("weird", "w", [Sample([:], .nan), Sample(["x": "y"], .infinity)]),
        ]
        var pending: [WriteRequest.Pending] = []
        let dropped = encoder.encode(families, timestamp: 1_764_000_000_123, into: &pending)
        #expect(dropped == 0)
        let series = try ProtoReader.writeRequest(WriteRequest.encode(pending))
        #expect(series.count == 5)
        let first = try #require(series.first)
        #expect(first.0.map(\.0) == ["__name__", "env", "replica", "server"])
        #expect(first.0.map(\.1) == ["pg_up", "prod", "a", "db1"])
        #expect(first.1.count == 1 && first.1[0].0 == 1 && first.1[0].1 == 1_764_000_000_123)
        // The series' own label wins over the external one; empty values are left out.
        #expect(series[1].0.map { "\($0.0)=\($0.1)" } == ["__name__=redis_commands_total", "cmd=get", "env=mine", "replica=a"])
        #expect(series[1].1[0].0 == 12345.5)
        #expect(series[2].0.map { "\($0.0)=\($0.1)" } == ["__name__=redis_commands_total", "cmd=ünïcode", "env=prod", "replica=a"])
        #expect(series[2].1[0].0 == -0.25)
        #expect(series[3].1[0].0.isNaN)
        #expect(series[4].1[0].0 == .infinity)
    }

    @Test("negative timestamps and long strings encode as ten-byte varints and multi-byte lengths")
    func edges() throws {
        let long = String(repeating: "v", count: 300)
        let labels = WriteRequest.encodeLabels([("__name__", "m"), ("l", long)])
        let series = try ProtoReader.writeRequest(WriteRequest.encode([WriteRequest.Pending(labels: labels, value: 2, timestamp: -1)]))
        #expect(series.count == 1)
        #expect(series[0].0[1].1 == long)
        #expect(series[0].1[0].1 == -1)
    }

    @Test("snappy compresses and decompresses back to the same bytes; a corrupt or oversized block is refused")
    func snappy() throws {
        var input: [UInt8] = []
        for i in 0..<50_000 { input.append(UInt8(truncatingIfNeeded: i % 251 == 0 ? i * 7 : i % 13)) }
        let compressed = Snappy.compress(input)
        #expect(compressed.count < input.count)
        #expect(try Snappy.decompress(compressed) == input)
        #expect(try Snappy.decompress(Snappy.compress([])) == [])
        #expect(throws: Snappy.Failure.self) { try Snappy.decompress([0xFF, 0xFF, 0xFF]) }
        #expect(throws: Snappy.Failure.self) { try Snappy.decompress(compressed, limit: 1000) }
        var broken = compressed
        broken[broken.count / 2] ^= 0xFF
        broken.removeLast(broken.count / 3)
        #expect(throws: Snappy.Failure.self) { try Snappy.decompress(broken) }
    }

    @Test("the bounded queue drops the oldest samples past its capacity and counts them")
    func queue() {
        func p(_ t: Int64) -> WriteRequest.Pending { WriteRequest.Pending(labels: [], value: 0, timestamp: t) }
        var q = SampleQueue(capacity: 5)
        #expect(q.append((0..<3).map(p)) == 0)
        #expect(q.append((3..<7).map(p)) == 2)
        #expect(q.count == 5)
        #expect(q.take(2).map(\.timestamp) == [2, 3])
        #expect(q.append((7..<20).map(p)) == 3 + 13 - 5)
        #expect(q.take(100).map(\.timestamp) == [15, 16, 17, 18, 19])
        #expect(q.isEmpty)
        // Many rounds keep the storage compacted (no growth past the capacity plus one batch).
        for round in 0..<10_000 {
            _ = q.append([p(Int64(round))])
            if round % 3 == 0 { _ = q.take(2) }
        }
        #expect(q.count <= 5)
    }
}
