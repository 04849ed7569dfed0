/// A Redis reply, converted from hiredis' `redisReply` and owned by Swift (RESP2 types only:
/// Debian 12's hiredis 0.14 has no RESP3).
enum RedisReply: Sendable, Equatable {
    case status(String)
    case error(String)
    case integer(Int64)
    /// A bulk string, binary safe.
    case string([UInt8])
    case array([RedisReply])
    case null

    /// The reply as text: status and bulk strings (decoded as UTF-8, invalid bytes replaced).
    var text: String? {
        switch self {
        case .status(let s): return s
        case .string(let b): return String(decoding: b, as: UTF8.self)
        default: return nil
        }
    }

    /// The reply as an integer: integer replies, and bulk/status strings that hold one.
    var integer: Int64? {
        switch self {
        case .integer(let i): return i
        case .string, .status: return text.flatMap { Int64($0) }
        default: return nil
        }
    }

    /// The reply as a count: an integer that is not negative (a hostile or broken server's
    /// negative count is no count).
    var count: Int64? {
        integer.flatMap { $0 >= 0 ? $0 : nil }
    }

    var array: [RedisReply]? {
        if case .array(let a) = self { return a }
        return nil
    }

    var errorMessage: String? {
        if case .error(let e) = self { return e }
        return nil
    }
}
