import CCrypt
import Synchronization

/// HTTP basic authentication against bcrypt hashes (`$2a$`, `$2b$`, `$2y$`), verified with
/// libxcrypt's `crypt_r` — the way Prometheus' exporter-toolkit checks `basic_auth_users`.
///
/// bcrypt costs tens of milliseconds by design, so it never runs on libmicrohttpd's threads:
/// a request whose credentials are not cached yet becomes a deferred reply and is verified on
/// this authenticator's own bounded threads (a full queue answers 503 at once). A verified
/// (user, hash) keeps its password in memory, so the next request with the same credentials
/// is checked inline with a constant-time comparison and never waits: a scrape does not pay
/// bcrypt each time. The cache lock is held only to read or store an entry, never while
/// hashing. Unknown users are hashed against a dummy hash, so timing does not reveal which
/// users exist. Nothing here logs; credentials never leave this type.
public final class BasicAuth: Sendable {
    /// The realm named in `WWW-Authenticate`.
    public let realm: String
    private let pool: WorkerPool
    /// (user, hash) → the password that verified against it.
    private let verified = Mutex<[String: [UInt8]]>([:])
    /// Entries kept before the cache starts over (users × password changes; a few in practice).
    static let cacheLimit = 1024
    /// A valid bcrypt hash (cost 10) of a random password, for unknown users.
    private static let dummyHash = "$2b$10$fJhxVSK1in0DiofEpKx3EOTiCoC6bRalHmXj9mOlSIFXNqDOQBz1K"

    /// - Parameters:
    ///   - threads: threads hashing at once; more requests with uncached credentials wait
    ///     in a queue of `queueLimit`, beyond which they are answered 503.
    public init(realm: String = "Vigil", threads: Int = 2, queueLimit: Int = 32) {
        self.realm = realm
        self.pool = WorkerPool(name: "vigil-bcrypt", threads: max(1, threads), queueLimit: max(0, queueLimit), stackSize: 1 << 20)
    }

    /// Whether `hash` is a bcrypt hash crypt_r can verify (prefix, cost 4…31, 53 characters of salt + hash).
    public static func isBcryptHash(_ hash: String) -> Bool {
        let b = Array(hash.utf8)
        guard b.count == 60, b[0] == UInt8(ascii: "$"), b[1] == UInt8(ascii: "2"),
              [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(b[2]), b[3] == UInt8(ascii: "$"),
              b[6] == UInt8(ascii: "$"), let cost = Int(String(decoding: b[4...5], as: UTF8.self)), (4...31).contains(cost)
        else { return false }
        let alphabet = Set("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        return b[7...].allSatisfy { alphabet.contains($0) }
    }

    /// The 401 answer asking for credentials.
    public var challenge: HTTPResponse {
        .text(status: 401, "401 unauthorized\n", headers: [("WWW-Authenticate", "Basic realm=\"\(realm)\", charset=\"UTF-8\"")])
    }

    /// Lets `request` through to `next` when its `Authorization: Basic` credentials match
    /// `users` (user → bcrypt hash), else answers 401 with `WWW-Authenticate`.
    public func authorize(_ request: HTTPRequest, users: [String: String],
                          next: @escaping @Sendable (HTTPRequest) -> HTTPReply) -> HTTPReply {
        guard let (user, password) = Self.credentials(request.header("authorization")) else { return .now(challenge) }
        let hash = users[user]
        let key = user + "\u{0}" + (hash ?? "")
        if hash != nil, let known = verified.withLock({ $0[key] }), Self.constantTimeEqual(known, password) {
            return next(request)
        }
        let challenge = self.challenge
        return .deferred { [self] responder in
            let queued = pool.submit({
                let matches = Self.verify(password, against: hash ?? Self.dummyHash) && hash != nil
                guard matches else {
                    responder.respond(challenge)
                    return
                }
                self.remember(key, password)
                switch next(request) {
                case .now(let response): responder.respond(response)
                case .deferred(let start): start(responder)
                }
            }, ifDropped: { responder.respond(.text(status: 503, "503 the server is shutting down\n")) })
            if !queued {
                responder.respond(.text(status: 503, "503 too many logins being checked; retry shortly\n", headers: [("Retry-After", "1")]))
            }
        }
    }

    private func remember(_ key: String, _ password: [UInt8]) {
        verified.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll() }
            cache[key] = password
        }
    }

    /// Stops the hashing threads (answers still-queued requests 503).
    public func shutdown() {
        pool.shutdown(waitSeconds: 1)
    }

    /// bcrypt through crypt_r; false for a password holding a NUL (crypt_r would cut it there).
    static func verify(_ password: [UInt8], against hash: String) -> Bool {
        guard !password.contains(0) else { return false }
        var text = password
        text.append(0)
        return text.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { cp in
                hash.withCString { vigil_crypt_verify(cp, $0) == 1 }
            }
        }
    }

    /// Equal bytes, compared in time that depends only on the lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff: UInt8 = a.count == b.count ? 0 : 1
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            diff |= x ^ y
        }
        return diff == 0
    }

    /// User and password of an `Authorization: Basic …` header (scheme case-insensitive).
    static func credentials(_ header: String?) -> (String, [UInt8])? {
        guard let header else { return nil }
        let trimmed = trimmedSpace(header)
        guard trimmed.utf8.count > 6, trimmed.prefix(6).lowercased() == "basic " else { return nil }
        guard let decoded = base64Decode(trimmedSpace(String(trimmed.dropFirst(6)))),
              let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let userBytes = decoded[..<colon]
        guard let user = String(validating: userBytes, as: UTF8.self) else { return nil }
        return (user, Array(decoded[(colon + 1)...]))
    }

    /// Standard base64 (padding optional); nil on any other character.
    static func base64Decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.utf8.count)
        var padding = 0
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = c - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = c - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            case UInt8(ascii: "="): padding += 1; continue
            default: return nil
            }
            guard padding == 0 else { return nil }
            values.append(v)
        }
        guard padding <= 2, values.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 3 / 4)
        var i = 0
        while i + 4 <= values.count {
            let n = UInt32(values[i]) << 18 | UInt32(values[i + 1]) << 12 | UInt32(values[i + 2]) << 6 | UInt32(values[i + 3])
            out += [UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
            i += 4
        }
        let rest = values.count - i
        if rest == 2 {
            let n = UInt32(values[i]) << 18 | UInt32(values[i + 1]) << 12
            out.append(UInt8(n >> 16 & 0xFF))
        } else if rest == 3 {
            let n = UInt32(values[i]) << 18 | UInt32(values[i + 1]) << 12 | UInt32(values[i + 2]) << 6
            out += [UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF)]
        }
        return out
    }
}
