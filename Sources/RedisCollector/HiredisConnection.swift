import CHiredis
import Foundation
import TLSStream
import VigilCore

/// hiredis' own reply constructors: every reader starts with the same static table. Nil only
/// when the first reader could not be allocated (then every connection fails, out of memory).
private let hiredisReplyFunctions: redisReplyObjectFunctions? = {
    guard let r = redisReaderCreate() else { return nil }
    defer { redisReaderFree(r) }
    return r.pointee.fn.pointee
}()

/// What one reply may still cost once parsed, reached by the reply constructors through the
/// reader's `privdata` (set on every reader of Vigil's, reset before each reply).
struct ReplyBudget {
    enum Refusal { case none, array, parsed }
    /// Bytes the reply's values may still take: hiredis' object for each value
    /// (`valueCost`), its string's bytes, and a pointer per array slot.
    var parsedLeft: Int
    var refusal: Refusal = .none

    static let valueCost = MemoryLayout<redisReply>.stride
}

/// Charges `bytes` to the budget of the reply `task` belongs to; false (the value is refused,
/// hiredis then reports "Out of memory") when it has run out.
private func charge(_ task: UnsafePointer<redisReadTask>?, _ bytes: Int, _ refusal: ReplyBudget.Refusal) -> Bool {
    guard let budget = task?.pointee.privdata?.assumingMemoryBound(to: ReplyBudget.self) else { return true }
    guard budget.pointee.refusal == .none, bytes <= budget.pointee.parsedLeft else {
        if budget.pointee.refusal == .none { budget.pointee.refusal = refusal }
        return false
    }
    budget.pointee.parsedLeft -= bytes
    return true
}

/// hiredis 0.14 allocates an array's element table from the length a reply announces
/// (`*2147483647` is 16 GiB) and frees an unfinished one by visiting every announced slot, so
/// a hostile or broken server could stall a collector thread for seconds per level of
/// nesting. Arrays announcing more than `HiredisConnection.maxArrayElements` are refused
/// before anything is allocated (hiredis then reports "Out of memory", named by the refusal).
/// Every constructor charges what it allocates to the reply's `ReplyBudget`, so many small
/// values (`:0\r\n` is 4 bytes on the wire, 48 in hiredis' object) cannot multiply the byte cap.
private let boundedCreateArray: @convention(c) (UnsafePointer<redisReadTask>?, Int32) -> UnsafeMutableRawPointer? = { task, elements in
    guard elements <= HiredisConnection.maxArrayElements else {
        if let budget = task?.pointee.privdata?.assumingMemoryBound(to: ReplyBudget.self), budget.pointee.refusal == .none {
            budget.pointee.refusal = .array
        }
        return nil
    }
    guard charge(task, ReplyBudget.valueCost + max(0, Int(elements)) * MemoryLayout<UnsafeRawPointer>.stride, .parsed) else { return nil }
    return hiredisReplyFunctions?.createArray(task, elements) ?? nil
}

private let boundedCreateString: @convention(c) (UnsafePointer<redisReadTask>?, UnsafeMutablePointer<CChar>?, Int) -> UnsafeMutableRawPointer? = { task, str, len in
    guard charge(task, ReplyBudget.valueCost + max(0, len), .parsed) else { return nil }
    return hiredisReplyFunctions?.createString(task, str, len) ?? nil
}

private let boundedCreateInteger: @convention(c) (UnsafePointer<redisReadTask>?, Int64) -> UnsafeMutableRawPointer? = { task, value in
    guard charge(task, ReplyBudget.valueCost, .parsed) else { return nil }
    return hiredisReplyFunctions?.createInteger(task, value) ?? nil
}

private let boundedCreateNil: @convention(c) (UnsafePointer<redisReadTask>?) -> UnsafeMutableRawPointer? = { task in
    guard charge(task, ReplyBudget.valueCost, .parsed) else { return nil }
    return hiredisReplyFunctions?.createNil(task) ?? nil
}

/// The table every reader of Vigil's uses: hiredis' constructors, bounded. Written once,
/// never changed; hiredis only reads it. Nil when hiredis' own table is (`hiredisReplyFunctions`).
nonisolated(unsafe) private let boundedReplyFunctions: UnsafeMutablePointer<redisReplyObjectFunctions>? = {
    guard var functions = hiredisReplyFunctions else { return nil }
    let p = UnsafeMutablePointer<redisReplyObjectFunctions>.allocate(capacity: 1)
    functions.createArray = boundedCreateArray
    functions.createString = boundedCreateString
    functions.createInteger = boundedCreateInteger
    functions.createNil = boundedCreateNil
    p.initialize(to: functions)
    return p
}()

/// One blocking hiredis connection. The only place CHiredis is used; no C pointer leaves this
/// file. Not thread safe: it belongs to its target's collection thread.
///
/// Every call is bounded: connecting by `connectTimeout`, each command (or pipeline) by the
/// smaller of `commandTimeout` and what is left before `deadline` — as a whole, not per read:
/// a server trickling a byte at a time cannot hold the thread past it. Vigil runs hiredis'
/// blocking loop itself (`redisBufferWrite`/`redisBufferRead`, the socket timeout re-armed to
/// what is left), so every reply is also bounded in size: at most `maxReplyBytes` on the wire
/// (a `$4000000000` bulk string fails the command when that many bytes have arrived, not when
/// they are all buffered) and twice that once parsed (`ReplyBudget`).
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

    /// The most bytes one reply may take on the wire. The largest replies Vigil asks for are
    /// CLIENT LIST (about 300 bytes a client: 10,000 clients are 3 MB) and a SCAN step (up to
    /// `scan_count` keys); INFO ALL and CONFIG GET * are tens of kilobytes.
    static let maxReplyBytes = 64 << 20

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
        /// The most bytes one reply may take on the wire (`maxReplyBytes`; tests make it smaller).
        var maxReplyBytes: Int = HiredisConnection.maxReplyBytes
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
    /// The reply being read's budget, every reader's `privdata`.
    private let budget: UnsafeMutablePointer<ReplyBudget> = {
        let p = UnsafeMutablePointer<ReplyBudget>.allocate(capacity: 1)
        p.initialize(to: ReplyBudget(parsedLeft: 0))
        return p
    }()
    /// The most bytes the reader has held at once on this connection (what hiredis buffered
    /// for an unfinished reply): `maxReplyBytes` plus at most one read.
    private(set) var peakBufferedBytes = 0
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
        guard let functions = boundedReplyFunctions, let r = redisReaderCreateWithFunctions(functions) else {
            close()
            throw RedisConnectionError(.connect, "cannot connect to \(where_): out of memory")
        }
        r.pointee.privdata = UnsafeMutableRawPointer(budget)
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
        guard let functions = boundedReplyFunctions else {
            redisFree(ctx)
            throw RedisConnectionError(.connect, "cannot connect to \(setup.endpoint.redactedDescription): out of memory")
        }
        ctx.pointee.reader.pointee.fn = functions
        ctx.pointee.reader.pointee.privdata = UnsafeMutableRawPointer(budget)
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

    deinit {
        close()
        budget.deinitialize(count: 1)
        budget.deallocate()
    }

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
        return try pipelinePlain([args])[0]
    }

    /// Sends several commands in one round trip and returns their replies in order.
    func pipeline(_ commands: [[String]]) throws(RedisConnectionError) -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        if stream != nil {
            return try exchangeTLS(commands.map { $0.map { Array($0.utf8) } })
        }
        return try pipelinePlain(commands.map { $0.map { Array($0.utf8) } })
    }

    // MARK: - Plain path

    /// hiredis' blocking `redisGetReply` loop, run here: write everything, then read until
    /// each reply is whole — within one command timeout for the lot, each reply within
    /// `maxReplyBytes`.
    private func pipelinePlain(_ commands: [[[UInt8]]]) throws(RedisConnectionError) -> [RedisReply] {
        guard let ctx = context else { throw RedisConnectionError(.io, "not connected to \(setup.endpoint.redactedDescription)") }
        let until = ContinuousClock.now + .seconds(try boundedTimeout(setup.commandTimeout))
        for args in commands {
            let rc = Self.withArgv(args) { argc, argv, lens in redisAppendCommandArgv(ctx, argc, argv, lens) }
            if rc != REDIS_OK { throw failure(ctx) }
        }
        commandsSent += commands.count
        var done: Int32 = 0
        while done == 0 {
            try arm(ctx, until: until)
            if redisBufferWrite(ctx, &done) != REDIS_OK { throw failure(ctx) }
        }
        guard let reader = ctx.pointee.reader else { throw failure(ctx) }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            let reply = try nextReply(reader) { () throws(RedisConnectionError) -> Bool in
                try arm(ctx, until: until)
                // One read(2) of at most 16 KiB into the reader (an interrupted read feeds nothing).
                if redisBufferRead(ctx) != REDIS_OK { throw failure(ctx) }
                return true
            }
            guard let reply else { throw failure(ctx) }
            replies.append(reply)
        }
        return replies
    }

    /// Sets the socket's timeouts to what is left before `until` (re-armed when that moved by
    /// over 5 ms: a fast reply costs a few setsockopt calls, a trickling one cannot outlast it).
    private func arm(_ ctx: UnsafeMutablePointer<redisContext>, until: ContinuousClock.Instant) throws(RedisConnectionError) {
        let left = (until - ContinuousClock.now).seconds
        guard left > 0.001 else {
            close()
            throw RedisConnectionError(.timeout, "timed out talking to \(setup.endpoint.redactedDescription)")
        }
        if abs(left - appliedTimeout) > 0.005 {
            if redisSetTimeout(ctx, Self.timeval(seconds: left)) != REDIS_OK { throw failure(ctx) }
            appliedTimeout = left
        }
    }

    // MARK: - Replies, bounded

    /// The next reply of this connection's reader, read with `fill` until whole; refusals
    /// close the connection.
    private func nextReply(_ reader: UnsafeMutablePointer<redisReader>,
                           fill: () throws(RedisConnectionError) -> Bool) throws(RedisConnectionError) -> RedisReply? {
        try Self.nextReply(reader, budget: budget, maxBytes: setup.maxReplyBytes, peak: &peakBufferedBytes, fill: fill) { what in
            close()
            return RedisConnectionError(.io, "lost connection to \(setup.endpoint.redactedDescription): \(what)")
        }
    }

    /// Parses the next reply `reader` holds, calling `fill` for more bytes (it feeds the reader
    /// and returns true, or returns false when there are no more: nil) until one is whole. A
    /// reply that has taken more than `maxBytes` on the wire before it is whole, a protocol
    /// error and a refusal of the constructors (`ReplyBudget`) are thrown as `refuse(what)`.
    private static func nextReply(_ reader: UnsafeMutablePointer<redisReader>, budget: UnsafeMutablePointer<ReplyBudget>,
                                  maxBytes: Int, peak: inout Int,
                                  fill: () throws(RedisConnectionError) -> Bool,
                                  refuse: (String) -> RedisConnectionError) throws(RedisConnectionError) -> RedisReply? {
        budget.pointee = ReplyBudget(parsedLeft: 2 * maxBytes)
        // Bytes already held that follow the last reply: this one's first, maybe more.
        var received = reader.pointee.len - reader.pointee.pos
        while true {
            var raw: UnsafeMutableRawPointer?
            guard redisReaderGetReply(reader, &raw) == REDIS_OK else {
                throw refuse("protocol error: \(readerError(reader, budget: budget.pointee, maxBytes: maxBytes))")
            }
            if let raw {
                defer { freeReplyObject(raw) }
                return convert(raw.assumingMemoryBound(to: redisReply.self))
            }
            guard received <= maxBytes else { throw refuse("reply larger than \(maxBytes) bytes") }
            let before = reader.pointee.len
            guard try fill() else { return nil }
            received += max(0, reader.pointee.len - before)
            peak = max(peak, reader.pointee.len)
        }
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
        for _ in commands {
            // Each fill reads at least one byte (bounded by `until`) or throws.
            let reply = try nextReply(reader) { () throws(RedisConnectionError) -> Bool in
                let bytes: [UInt8]
                do throws(TLSStreamError) {
                    bytes = try stream.read(deadline: until)
                } catch {
                    throw tlsFailure(error)
                }
                let fed = bytes.withUnsafeBytes { b in
                    redisReaderFeed(reader, b.baseAddress?.assumingMemoryBound(to: CChar.self), b.count)
                }
                guard fed == REDIS_OK else { throw tlsFailure(.io, "protocol error while reading a reply") }
                return true
            }
            guard let reply else { throw tlsFailure(.io, "no reply") }
            replies.append(reply)
        }
        return replies
    }

    /// The reader's error; hiredis' "Out of memory" named by the constructor that refused.
    private static func readerError(_ reader: UnsafeMutablePointer<redisReader>, budget: ReplyBudget, maxBytes: Int) -> String {
        let message = withUnsafeBytes(of: &reader.pointee.errstr) { b in String(decoding: b.prefix(while: { $0 != 0 }), as: UTF8.self) }
        guard message == "Out of memory" else { return message.isEmpty ? "unparsable reply" : message }
        switch budget.refusal {
        case .array: return "a reply too large (an array of over \(maxArrayElements) elements)"
        case .parsed: return "reply larger than \(2 * maxBytes) bytes once parsed"
        case .none: return "out of memory"
        }
    }

    /// Parses RESP bytes with the reader the TLS path feeds (hiredis' protocol parser, the
    /// one behind `redisCommand` too): the complete replies in order, at most `maxReplies`,
    /// and whether bytes of an unfinished reply were left over. A protocol error (a bad type
    /// byte, a bad length, nesting past hiredis' depth of 7) is thrown. For the fuzz tests.
    static func parseReplies(_ bytes: [UInt8], maxReplies: Int,
                             maxReplyBytes: Int = HiredisConnection.maxReplyBytes) throws(RedisConnectionError) -> (replies: [RedisReply], complete: Bool) {
        guard let functions = boundedReplyFunctions, let reader = redisReaderCreateWithFunctions(functions) else {
            throw RedisConnectionError(.io, "out of memory")
        }
        let budget = UnsafeMutablePointer<ReplyBudget>.allocate(capacity: 1)
        budget.initialize(to: ReplyBudget(parsedLeft: 0))
        reader.pointee.privdata = UnsafeMutableRawPointer(budget)
        defer {
            redisReaderFree(reader)
            budget.deinitialize(count: 1)
            budget.deallocate()
        }
        let fed = bytes.withUnsafeBytes { b in
            redisReaderFeed(reader, b.baseAddress?.assumingMemoryBound(to: CChar.self), b.count)
        }
        guard fed == REDIS_OK else { throw RedisConnectionError(.io, "protocol error: out of memory") }
        var replies: [RedisReply] = []
        var peak = 0
        while replies.count < maxReplies {
            let reply = try nextReply(reader, budget: budget, maxBytes: maxReplyBytes, peak: &peak,
                                      fill: { () throws(RedisConnectionError) -> Bool in false },
                                      refuse: { RedisConnectionError(.io, $0) })
            guard let reply else { break }
            replies.append(reply)
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

    /// Builds the error for a failed call and closes the (now unusable) connection.
    private func failure(_ ctx: UnsafeMutablePointer<redisContext>) -> RedisConnectionError {
        let message = Self.errorString(ctx)
        let code = ctx.pointee.err
        close()
        let lower = message.lowercased()
        if lower.contains("temporarily unavailable") || lower.contains("timed out") || lower.contains("would block") {
            return RedisConnectionError(.timeout, "timed out talking to \(setup.endpoint.redactedDescription)")
        }
        let what = code == REDIS_ERR_EOF ? "connection closed by server" : message
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
