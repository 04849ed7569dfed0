import VigilCore

/// redis_exporter's `check-keys`/`check-single-keys`: `redis_key_size{db,key}` (length or
/// cardinality by type, 0 for a missing key), `redis_key_value{db,key}` for a string that holds
/// a finite number and, when asked, `redis_key_value_as_string{db,key,val}` for other short
/// strings. Pure: the collector runs the commands in two pipelined round trips.
enum KeyChecks {
    /// Strings longer than this are not read (only their length is); their value is not exported.
    static let valuePrefix = 256

    /// Whether `pattern` holds a glob character, so it is SCANned rather than checked as a name
    /// (redis_exporter's rule).
    static func isPattern(_ key: String) -> Bool {
        key.contains(where: { "?*[]^".contains($0) })
    }

    /// The commands of the second round trip for a key of `type` (the reply of `TYPE`).
    static func sizeCommands(key: String, type: String) -> [[String]] {
        switch type {
        case "string": return [["STRLEN", key], ["GETRANGE", key, "0", String(valuePrefix - 1)]]
        case "list": return [["LLEN", key]]
        case "set": return [["SCARD", key]]
        case "zset": return [["ZCARD", key]]
        case "hash": return [["HLEN", key]]
        case "stream": return [["XLEN", key]]
        default: return []
        }
    }

    /// A string value that starts a HyperLogLog (its size is PFCOUNT's, as redis_exporter reports).
    static func isHyperLogLog(_ value: [UInt8]) -> Bool { value.starts(with: Array("HYLL".utf8)) }

    struct Result: Sendable, Equatable {
        var size: Double
        var number: Double?
        var text: String?
    }

    /// Reads the replies of `sizeCommands`; nil when they are not usable (refused, unknown type).
    static func result(type: String, _ replies: [RedisReply], pfcount: RedisReply? = nil) -> Result? {
        if type == "none" { return Result(size: 0) }
        guard let first = replies.first, let n = first.integer, n >= 0 else { return nil }
        guard type == "string" else { return Result(size: Double(n)) }
        if let p = pfcount?.integer, p >= 0 { return Result(size: Double(p)) }
        guard n <= valuePrefix, replies.count > 1, case .string(let bytes) = replies[1] else { return Result(size: Double(n)) }
        let text = String(decoding: bytes, as: UTF8.self)
        if let v = Double(text), v.isFinite { return Result(size: Double(n), number: v) }
        return Result(size: Double(n), text: text)
    }

    static func add(db: Int, key: String, _ r: Result, stringValues: Bool, to b: inout FamilyBuilder) {
        let labels: Labels = ["db": "db\(db)", "key": key]
        b.gauge("key_size", r.size, labels, help: "The length or size of \"key\"")
        if let v = r.number { b.gauge("key_value", v, labels, help: "The value of \"key\"") }
        if stringValues, let t = r.text {
            b.gauge("key_value_as_string", 1, labels.appending("val", t), help: "The value of \"key\" as a string")
        }
    }
}
