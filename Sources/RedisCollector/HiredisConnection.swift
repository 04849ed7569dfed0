import CHiredis
import Foundation
import TLSStream
import VigilCore

/// hiredis' own reply constructors: every reader starts with the same static table.
private let hiredisReplyFunctions: redisReplyObjectFunctions = {
    guard let r = redisReaderCreate() else { fatalError("hiredis cannot create a reader (out of memory at start-up)") }
    defer { redisReaderFree(r) }
    return r.pointee.fn.pointee
}()

/// hiredis 0.14 allocates an array's element table from the length a reply announces
/// (`*2147483647` is 16 GiB) and frees an unfinished one by visiting every announced slot, so
/// a hostile or broken server could stall a collector thread for seconds per level of
/// nesting. Arrays announcing more than `HiredisConnection.maxArrayElements` are refused
/// before anything is allocated (hiredis then reports "Out of memory", read as a reply too large).
private let boundedCreateArray: @convention(c) (UnsafePointer<redisReadTask>?, Int32) -> UnsafeMutableRawPointer? = { task, elements in
    guard elements <= HiredisConnection.maxArrayElements else { return nil }
    return hiredisReplyFunctions.createArray(task, elements)
}

/// The table every reader of Vigil's uses: hiredis' constructors, arrays bounded. Written once,
/// never changed; hiredis only reads it.
nonisolated(unsafe) private let boundedReplyFunctions: UnsafeMutablePointer<redisReplyObjectFunctions> = {
    let p = UnsafeMutablePointer<redisReplyObjectFunctions>.allocate(capacity: 1)
    var functions = hiredisReplyFunctions
    functions.createArray = boundedCreateArray
    p.initialize(to: functions)
    return p
}()

/// One blocking hiredis connection. The only place CHiredis is used; no C pointer leaves this
/// file. Not thread safe: it belongs to its target's collection thread.
///
/// Every call is bounded: connecting by `connectTimeout`, each command by the smaller of
/// `commandTimeout` and what is left before `deadline` (applied with `redisSetTimeout`).
///
/// Over TLS (`rediss://`) hiredis 0.14 cannot hold the socket (Debian 12 builds it without
/// TLS): `TLSStream` owns the connection and the IO, hiredis formats the commands
/// (`redisFormatCommandArgv`) and parses the replies (`redisReader`), so the same protocol
/// code and the same reply conversion serve both paths, on this thread, bounded by the same
/// deadlines. (A socket pair handed to `redisConnectFd` would need a second thread pumping
/// bytes while hiredis blocks in `redisGetReply`.)
final class HiredisConnection {
    /// The most elements one array of a reply may announce (`CONFIG GET *` has about 400,
    /// a SCAN step as many as its COUNT).
    static let maxArrayElements: Int32 = 1 << 20

    struct Setup {
        var endpoint: RedisEndpoint
        /// Password to AUTH with (the URL's, or the one read from a file); nil for none.
        var password: String?
        var connectTimeout: Double
        var commandTimeout: Double
        /// Set with `CLIENT SETNAME`; nil or empty to skip.
        var clientName: String?
        /// TLS settings for a `rediss://` endpoint (nil: the system CAs and the URL's host).
        var tls: TLSOptions? = nil
    }

    private var context: UnsafeMutablePointer<redisContext>?
    /// The TLS path: the stream and the reply parser fed from it.
    private var stream: TLSStream?
    private var reader: UnsafeMutablePointer<redisReader>?
    private let setup: Setup
    /// The database currently selected on the server side.
    private(set) var selectedDatabase: Int = 0
    /// Commands are refused past this instant.
    var deadline: ContinuousClock.Instant?
    private var appliedTimeout: Double = -1
    /// Commands sent on this connection (for cost accounting).
    private(set) var commandsSent = 0
    /// A non-fatal setup problem (e.g. CLIENT SETNAME refused), for the caller to log once.
    private(set) var setupWarnings: [String] = []

    var isConnected: Bool { context != nil || stream != nil }
    /// The negotiated TLS protocol (`TLSv1.3`), nil on a plain connection.
    var tlsVersion: String? { stream?.protocolVersion }

    /// Connects, authenticates, selects the database and names the client.
    init(_ setup: Setup, deadline: ContinuousClock.Instant?) throws(RedisConnectionError) {
        self.setup = setup
        self.deadline = deadline
        let connectSeconds = try boundedTimeout(setup.connectTimeout)
        if setup.endpoint.tls {
            try connectTLS(seconds: connectSeconds)
        } else {
            try connectPlain(seconds: connectSeconds)
        }
        try handshake()
    }

    private func connectTLS(seconds: Double) throws(RedisConnectionError) {
        guard case .tcp(let host, let port) = setup.endpoint.address else {
            throw RedisConnectionError(.connect, "TLS needs a TCP address, not \(setup.endpoint.redactedDescription)")
        }
        let where_ = setup.endpoint.redactedDescription
        do {
            stream = try TLSStream.connect(host: host, port: port, settings: setup.tls ?? TLSOptions(),
                                           deadline: .now + .seconds(seconds))
        } catch {
            switch error.kind {
            case .timeout: throw RedisConnectionError(.timeout, "cannot connect to \(where_): \(error.message)")
            default: throw RedisConnectionError(.connect, "cannot connect to \(where_): \(error.message)")
            }
        }
        guard let r = redisReaderCreateWithFunctions(boundedReplyFunctions) else {
            close()
            throw RedisConnectionError(.connect, "cannot connect to \(where_): out of memory")
        }
        reader = r
    }

    private func connectPlain(seconds connectSeconds: Double) throws(RedisConnectionError) {
        let tv = Self.timeval(seconds: connectSeconds)
        let ctx: UnsafeMutablePointer<redisContext>?
        switch setup.endpoint.address {
        case .tcp(let host, let port):
            ctx = redisConnectWithTimeout(host, Int32(port), tv)
        case .unix(let path):
            ctx = redisConnectUnixWithTimeout(path, tv)
        }
        guard let ctx else {
            throw RedisConnectionError(.connect, "cannot connect to \(setup.endpoint.redactedDescription): out of memory")
        }
        if ctx.pointee.err != 0 {
            let message = Self.errorString(ctx)
            let timedOut = message.localizedCaseInsensitiveContains("timed out") || message.localizedCaseInsensitiveContains("temporarily unavailable")
            redisFree(ctx)
            throw RedisConnectionError(timedOut ? .timeout : .connect,
                                       "cannot connect to \(setup.endpoint.redactedDescription): \(message)")
        }
        ctx.pointee.reader.pointee.fn = boundedReplyFunctions
        self.context = ctx
    }

    private func handshake() throws(RedisConnectionError) {
        if let password = setup.password {
            var args = ["AUTH"]
            if let user = setup.endpoint.username { args.append(user) }
            args.append(password)
            let reply = try command(args)
            if let e = reply.errorMessage {
                close()
                // The server's message never echoes the password.
                throw RedisConnectionError(.server, "authentication to \(setup.endpoint.redactedDescription) failed: \(e)")
            }
        }
        if setup.endpoint.database != 0 {
            try select(setup.endpoint.database)
        }
        if let name = setup.clientName, !name.isEmpty {
            if let e = try command(["CLIENT", "SETNAME", name]).errorMessage {
                setupWarnings.append("CLIENT SETNAME refused: \(e)")
            }
        }
    }

    deinit { close() }

    func close() {
        if let ctx = context {
            redisFree(ctx)
            context = nil
        }
        stream?.close()
        stream = nil
        if let reader {
            redisReaderFree(reader)
            self.reader = nil
        }
    }

    /// Switches database when needed; a refusal (e.g. index out of range) throws `.server`.
    func select(_ db: Int) throws(RedisConnectionError) {
        if let e = try selectIfPossible(db) {
            throw RedisConnectionError(.server, "SELECT \(db) on \(setup.endpoint.redactedDescription) failed: \(e)")
        }
    }

    /// Switches database when needed. Returns the server's error when it refuses; throws
    /// only when the connection fails.
    func selectIfPossible(_ db: Int) throws(RedisConnectionError) -> String? {
        guard db != selectedDatabase else { return nil }
        let reply = try command(["SELECT", String(db)])
        if let e = reply.errorMessage { return e }
        selectedDatabase = db
        return nil
    }

    /// Sends one command and waits for its reply. Server errors come back as `.error`;
    /// connection problems throw and close the connection.
    func command(_ args: [String]) throws(RedisConnectionError) -> RedisReply {
        try command(bytes: args.map { Array($0.utf8) })
    }

    func command(bytes args: [[UInt8]]) throws(RedisConnectionError) -> RedisReply {
        if stream != nil {
            return try exchangeTLS([args])[0]
        }
        guard let ctx = context else { throw RedisConnectionError(.io, "not connected to \(setup.endpoint.redactedDescription)") }
        try applyTimeout(ctx)
        commandsSent += 1
        let raw: UnsafeMutableRawPointer? = Self.withArgv(args) { argc, argv, lens in
            redisCommandArgv(ctx, argc, argv, lens)
        }
        guard let raw else { throw failure(ctx) }
        defer { freeReplyObject(raw) }
        return Self.convert(raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Sends several commands in one round trip and returns their replies in order.
    func pipeline(_ commands: [[String]]) throws(RedisConnectionError) -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        if stream != nil {
            return try exchangeTLS(commands.map { $0.map { Array($0.utf8) } })
        }
        guard let ctx = context else { throw RedisConnectionError(.io, "not connected to \(setup.endpoint.redactedDescription)") }
        try applyTimeout(ctx)
        for args in commands {
            let rc = Self.withArgv(args.map { Array($0.utf8) }) { argc, argv, lens in
                redisAppendCommandArgv(ctx, argc, argv, lens)
            }
            if rc != REDIS_OK { throw failure(ctx) }
        }
        commandsSent += commands.count
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            if redisGetReply(ctx, &raw) != REDIS_OK { throw failure(ctx) }
            guard let reply = raw else { throw failure(ctx) }
            replies.append(Self.convert(reply.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(reply)
        }
        return replies
    }

    // MARK: - TLS path

    /// Writes `commands` in one go and reads as many replies, within one command timeout.
    private func exchangeTLS(_ commands: [[[UInt8]]]) throws(RedisConnectionError) -> [RedisReply] {
        guard let stream, let reader else {
            throw RedisConnectionError(.io, "not connected to \(setup.endpoint.redactedDescription)")
        }
        let until = ContinuousClock.now + .seconds(try boundedTimeout(setup.commandTimeout))
        var out: [UInt8] = []
        for args in commands {
            var formatted: UnsafeMutablePointer<CChar>?
            let n = Self.withArgv(args) { argc, argv, lens in redisFormatCommandArgv(&formatted, argc, argv, lens) }
            guard n > 0, let formatted else { throw tlsFailure(.io, "cannot format a command (out of memory)") }
            out.append(contentsOf: UnsafeRawBufferPointer(start: formatted, count: Int(n)))
            redisFreeCommand(formatted)
        }
        commandsSent += commands.count
        do {
            try stream.write(out, deadline: until)
        } catch {
            throw tlsFailure(error)
        }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        // Each pass takes a parsed reply or reads at least one byte (bounded by `until`) or throws.
        while replies.count < commands.count {
            var raw: UnsafeMutableRawPointer?
            guard redisReaderGetReply(reader, &raw) == REDIS_OK else {
                throw tlsFailure(.io, "protocol error: \(Self.readerError(reader))")
            }
            if let raw {
                replies.append(Self.convert(raw.assumingMemoryBound(to: redisReply.self)))
                freeReplyObject(raw)
                continue
            }
            let bytes: [UInt8]
            do {
                bytes = try stream.read(deadline: until)
            } catch {
                throw tlsFailure(error)
            }
            let fed = bytes.withUnsafeBytes { b in
                redisReaderFeed(reader, b.baseAddress?.assumingMemoryBound(to: CChar.self), b.count)
            }
            guard fed == REDIS_OK else { throw tlsFailure(.io, "protocol error while reading a reply") }
        }
        return replies
    }

    private static func readerError(_ reader: UnsafeMutablePointer<redisReader>) -> String {
        let message = withUnsafeBytes(of: &reader.pointee.errstr) { b in String(decoding: b.prefix(while: { $0 != 0 }), as: UTF8.self) }
        return message.isEmpty ? "unparsable reply" : named(message)
    }

    /// hiredis' "Out of memory" is, far more likely, an array over `maxArrayElements`.
    private static func named(_ message: String) -> String {
        message == "Out of memory" ? "a reply too large (an array of over \(maxArrayElements) elements) or out of memory" : message
    }

    /// Parses RESP bytes with the reader the TLS path feeds (hiredis' protocol parser, the
    /// one behind `redisCommand` too): the complete replies in order, at most `maxReplies`,
    /// and whether bytes of an unfinished reply were left over. A protocol error (a bad type
    /// byte, a bad length, nesting past hiredis' depth of 7) is thrown. For the fuzz tests.
    static func parseReplies(_ bytes: [UInt8], maxReplies: Int) throws(RedisConnectionError) -> (replies: [RedisReply], complete: Bool) {
        guard let reader = redisReaderCreateWithFunctions(boundedReplyFunctions) else { throw RedisConnectionError(.io, "out of memory") }
        defer { redisReaderFree(reader) }
        let fed = bytes.withUnsafeBytes { b in
            redisReaderFeed(reader, b.baseAddress?.assumingMemoryBound(to: CChar.self), b.count)
        }
        guard fed == REDIS_OK else { throw RedisConnectionError(.io, "protocol error: \(readerError(reader))") }
        var replies: [RedisReply] = []
        while replies.count < maxReplies {
            var raw: UnsafeMutableRawPointer?
            guard redisReaderGetReply(reader, &raw) == REDIS_OK else {
                throw RedisConnectionError(.io, "protocol error: \(readerError(reader))")
            }
            guard let raw else { break }
            replies.append(convert(raw.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(raw)
        }
        // Unfinished: bytes not yet a whole item, or a reply whose type was read (hiredis sets up
        // an empty task, type -1, whenever it is asked for a reply).
        let started = reader.pointee.ridx >= 0 && reader.pointee.rstack.0.type >= 0
        return (replies, reader.pointee.pos >= reader.pointee.len && !started)
    }

    private func tlsFailure(_ e: TLSStreamError) -> RedisConnectionError {
        tlsFailure(e.kind == .timeout ? .timeout : .io, e.message)
    }

    /// Closes the connection and names what went wrong.
    private func tlsFailure(_ kind: RedisConnectionError.Kind, _ what: String) -> RedisConnectionError {
        close()
        if kind == .timeout {
            return RedisConnectionError(.timeout, "timed out talking to \(setup.endpoint.redactedDescription)")
        }
        return RedisConnectionError(kind, "lost connection to \(setup.endpoint.redactedDescription): \(what)")
    }

    // MARK: - Internals

    /// The command timeout bounded by the deadline; throws when the deadline has passed.
    private func boundedTimeout(_ timeout: Double) throws(RedisConnectionError) -> Double {
        var t = timeout
        if let deadline {
            let d = deadline - ContinuousClock.now
            let left = d.seconds
            if left <= 0.001 {
                throw RedisConnectionError(.timeout, "deadline reached before talking to \(setup.endpoint.redactedDescription)")
            }
            t = min(t, left)
        }
        return max(0.001, t)
    }

    private func applyTimeout(_ ctx: UnsafeMutablePointer<redisContext>) throws(RedisConnectionError) {
        let t = try boundedTimeout(setup.commandTimeout)
        // Re-arm only when it changed by more than 5 ms: setsockopt per command is cheap but not free.
        if abs(t - appliedTimeout) > 0.005 {
            if redisSetTimeout(ctx, Self.timeval(seconds: t)) != REDIS_OK { throw failure(ctx) }
            appliedTimeout = t
        }
    }

    /// Builds the error for a failed call and closes the (now unusable) connection.
    private func failure(_ ctx: UnsafeMutablePointer<redisContext>) -> RedisConnectionError {
        let message = Self.errorString(ctx)
        let code = ctx.pointee.err
        close()
        let lower = message.lowercased()
        if lower.contains("temporarily unavailable") || lower.contains("timed out") || lower.contains("would block") {
            return RedisConnectionError(.timeout, "timed out talking to \(setup.endpoint.redactedDescription)")
        }
        let what = code == REDIS_ERR_EOF ? "connection closed by server" : Self.named(message)
        return RedisConnectionError(.io, "lost connection to \(setup.endpoint.redactedDescription): \(what)")
    }

    private static func errorString(_ ctx: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: &ctx.pointee.errstr) { buf in
            let bytes = buf.prefix(while: { $0 != 0 })
            let s = String(decoding: bytes, as: UTF8.self)
            return s.isEmpty ? "unknown hiredis error \(ctx.pointee.err)" : s
        }
    }

    private static func timeval(seconds: Double) -> Glibc.timeval {
        let whole = Int(seconds.rounded(.down))
        let micros = Int((seconds - Double(whole)) * 1_000_000)
        return Glibc.timeval(tv_sec: whole, tv_usec: max(0, min(999_999, micros)))
    }

    /// Lays `args` out as C buffers for the duration of `body`.
    private static func withArgv<R>(
        _ args: [[UInt8]],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
    ) -> R {
        let buffers = args.map { a -> UnsafeMutableRawPointer in
            let p = UnsafeMutableRawPointer.allocate(byteCount: max(1, a.count), alignment: 1)
            a.withUnsafeBytes { src in
                if let base = src.baseAddress { p.copyMemory(from: base, byteCount: a.count) }
            }
            return p
        }
        defer { for b in buffers { b.deallocate() } }
        var argv: [UnsafePointer<CChar>?] = buffers.map { UnsafePointer($0.assumingMemoryBound(to: CChar.self)) }
        let lens = args.map(\.count)
        return argv.withUnsafeMutableBufferPointer { av in
            lens.withUnsafeBufferPointer { lv in
                // Both buffers are non-empty for a non-empty command; the fallback never runs.
                guard let a = av.baseAddress, let l = lv.baseAddress else {
                    var empty: UnsafePointer<CChar>? = nil
                    var zero = 0
                    return body(0, &empty, &zero)
                }
                return body(Int32(args.count), a, l)
            }
        }
    }

    private static func convert(_ r: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let reply = r.pointee
        switch reply.type {
        case REDIS_REPLY_STATUS:
            return .status(bytes(reply.str, reply.len).map { String(decoding: $0, as: UTF8.self) } ?? "")
        case REDIS_REPLY_ERROR:
            return .error(bytes(reply.str, reply.len).map { String(decoding: $0, as: UTF8.self) } ?? "")
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(reply.integer))
        case REDIS_REPLY_STRING:
            return .string(bytes(reply.str, reply.len) ?? [])
        case REDIS_REPLY_ARRAY:
            var items: [RedisReply] = []
            if let elements = reply.element {
                items.reserveCapacity(Int(reply.elements))
                for i in 0..<Int(reply.elements) {
                    if let e = elements[i] { items.append(convert(e)) } else { items.append(.null) }
                }
            }
            return .array(items)
        default:
            return .null
        }
    }

    private static func bytes(_ p: UnsafeMutablePointer<CChar>?, _ len: Int) -> [UInt8]? {
        guard let p, len > 0 else { return p == nil ? nil : [] }
        return Array(UnsafeRawBufferPointer(start: p, count: len))
    }
}
