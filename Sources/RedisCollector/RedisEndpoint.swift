import VigilCore

/// Where and how to reach one Redis server, parsed from a URL:
/// `redis://[user[:password]@]host[:port][/db]` or `unix://[user[:password]@]/path/to/socket[?db=N]`.
/// `rediss://host[:port][/db]` is the same over TLS: Vigil terminates TLS itself (`TLSStream`)
/// and hiredis only formats commands and parses replies (Debian 12's hiredis 0.14 has no TLS).
public struct RedisEndpoint: Sendable, Equatable {
    public enum Address: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    public var address: Address
    /// ACL user name (Redis 6+); nil means the default user.
    public var username: String?
    /// Password from the URL, percent-decoded.
    public var password: String?
    /// Database selected after connecting.
    public var database: Int
    /// TLS (`rediss://`); only with a TCP address.
    public var tls: Bool

    public init(address: Address, username: String? = nil, password: String? = nil, database: Int = 0, tls: Bool = false) {
        self.address = address
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// A description safe for logs: no password.
    public var redactedDescription: String {
        let user = username.map { "\($0)@" } ?? (password != nil ? "\(Redaction.mask)@" : "")
        switch address {
        case .tcp(let host, let port):
            let h = host.contains(":") ? "[\(host)]" : host
            return "\(tls ? "rediss" : "redis")://\(user)\(h):\(port)/\(database)"
        case .unix(let path):
            return "unix://\(user)\(path)?db=\(database)"
        }
    }

    /// Parses a Redis URL. Errors name the URL with its password masked.
    public static func parse(_ url: String) throws(RedisURLError) -> RedisEndpoint {
        guard url.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value != 127 }) else {
            // The text may hold a password next to the offending character: it is not shown.
            throw RedisURLError("invalid Redis URL (not shown): it holds a space or a control character (percent-encode them)")
        }
        let safe = Redaction.url(url)
        guard let schemeEnd = url.range(of: "://") else {
            // Without a scheme the text cannot be split safely: it may hold a password, so it is not shown.
            throw RedisURLError("invalid Redis URL (not shown, it has no scheme): expected redis://[user[:password]@]host[:port][/db] or unix:///path/to/socket")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        var rest = Substring(url[schemeEnd.upperBound...])
        switch scheme {
        case "redis", "valkey", "unix", "redis+unix", "rediss", "valkeys":
            break
        default:
            throw RedisURLError("invalid Redis URL \(safe): unknown scheme \"\(scheme)\" (use redis://, rediss:// or unix://)")
        }
        let tls = scheme == "rediss" || scheme == "valkeys"
        if rest.contains("#") {
            rest = rest[..<(rest.firstIndex(of: "#") ?? rest.endIndex)]
        }
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        // userinfo: up to the last '@' before the path.
        var username: String?
        var password: String?
        let isUnix = scheme == "unix" || scheme == "redis+unix"
        let authorityEnd = isUnix ? (rest.lastIndex(of: "@").map { rest.index(after: $0) } ?? rest.startIndex)
                                  : (rest.firstIndex(of: "/") ?? rest.endIndex)
        var authority = rest[..<authorityEnd]
        var path = rest[authorityEnd...]
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                let u = try decode(userinfo[..<colon], what: "user name", safe: safe)
                username = u.isEmpty ? nil : u
                password = try decode(userinfo[userinfo.index(after: colon)...], what: "password", safe: safe)
            } else {
                let u = try decode(userinfo, what: "user name", safe: safe)
                username = u.isEmpty ? nil : u
            }
        }
        var database = 0
        for item in query.split(separator: "&") {
            let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = kv[0].lowercased()
            let value = kv.count > 1 ? String(kv[1]) : ""
            switch key {
            case "db":
                database = try parseDB(value, safe: safe)
            case "password":
                password = try decode(Substring(value), what: "password", safe: safe)
            default:
                throw RedisURLError("invalid Redis URL \(safe): unknown query parameter \"\(kv[0])\" (supported: db)")
            }
        }

        if isUnix {
            if !authority.isEmpty { path = authority + path }
            let p = try decode(path, what: "socket path", safe: safe)
            guard p.hasPrefix("/"), p.count > 1 else {
                throw RedisURLError("invalid Redis URL \(safe): unix:// needs an absolute socket path, e.g. unix:///run/redis/redis.sock")
            }
            return RedisEndpoint(address: .unix(path: p), username: username, password: password, database: database)
        }

        // host[:port], host may be a bracketed IPv6 literal.
        var host: String
        var port = 6379
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw RedisURLError("invalid Redis URL \(safe): unterminated IPv6 address")
            }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw RedisURLError("invalid Redis URL \(safe): bad text after the IPv6 address") }
                port = try parsePort(after.dropFirst(), safe: safe)
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            port = try parsePort(authority[authority.index(after: colon)...], safe: safe)
        } else {
            host = String(authority)
        }
        if host.isEmpty { host = "localhost" }
        guard host.allSatisfy({ $0.isLetter || $0.isNumber || "-._~:%".contains($0) }) else {
            throw RedisURLError("invalid Redis URL \(safe): the host holds characters a host name cannot have")
        }
        let dbPath = path.drop(while: { $0 == "/" })
        if !dbPath.isEmpty {
            database = try parseDB(String(dbPath), safe: safe)
        }
        return RedisEndpoint(address: .tcp(host: host, port: port), username: username, password: password, database: database, tls: tls)
    }

    private static func parsePort(_ s: Substring, safe: String) throws(RedisURLError) -> Int {
        guard let p = Int(s), (1...65535).contains(p) else {
            throw RedisURLError("invalid Redis URL \(safe): port \"\(s)\" is not a number from 1 to 65535")
        }
        return p
    }

    private static func parseDB(_ s: String, safe: String) throws(RedisURLError) -> Int {
        guard let d = Int(s), (0...Int(Int32.max)).contains(d) else {
            throw RedisURLError("invalid Redis URL \(safe): database \"\(s)\" is not a non-negative number")
        }
        return d
    }

    private static func decode(_ s: Substring, what: String, safe: String) throws(RedisURLError) -> String {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "%") {
                guard it.count >= 2, let h = hex(it[it.startIndex]), let l = hex(it[it.startIndex + 1]) else {
                    throw RedisURLError("invalid Redis URL \(safe): bad percent-encoding in the \(what)")
                }
                bytes.append(h << 4 | l)
                it = it.dropFirst(2)
            } else {
                bytes.append(c)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// A bad Redis URL. The message never holds the password.
public struct RedisURLError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
