import CLibPQ
import Foundation
import Synchronization
import VigilCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The rows of one statement, as Swift values: column names and text cells (`nil` is SQL NULL).
public struct QueryResult: Sendable, Hashable {
    public var columns: [String]
    public var rows: [[String?]]

    public init(columns: [String], rows: [[String?]]) {
        self.columns = columns
        self.rows = rows
    }

    /// Index of the column named `name`, or nil.
    public func index(of name: String) -> Int? { columns.firstIndex(of: name) }
}

/// A failure talking to PostgreSQL. The message never holds a password.
public struct PostgresError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// The DSN could not be parsed.
        case badDSN
        /// The connection could not be established.
        case connect
        /// The deadline passed before the server answered.
        case timeout
        /// The server answered a statement with an error.
        case query
        /// The connection broke while in use.
        case connectionLost
    }

    public var kind: Kind
    public var message: String
    /// The SQLSTATE of a server error (`42P01`, …), when there is one.
    public var sqlState: String?

    public init(_ kind: Kind, _ message: String, sqlState: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
    }

    public var description: String {
        if let s = sqlState { return "\(message) (SQLSTATE \(s))" }
        return message
    }

    /// True when the connection cannot be used any more and must be replaced.
    public var connectionUnusable: Bool { kind != .query && kind != .badDSN }
}

/// Keeps the notices libpq hands to the notice processor (bounded), instead of libpq
/// printing them on stderr.
final class NoticeSink: Sendable {
    // Only touched from the connection's thread; the lock is for the rare reader elsewhere.
    private let state = Mutex<(count: Int, last: String?)>((0, nil))

    func receive(_ text: String) {
        state.withLock { $0 = ($0.count + 1, text) }
    }

    var count: Int { state.withLock { $0.count } }
    var last: String? { state.withLock { $0.last } }
}

/// A C callback must not capture: the sink arrives through the `void *` argument.
private let vigilNoticeProcessor: PQnoticeProcessor = { arg, message in
    guard let arg, let message else { return }
    let sink = Unmanaged<NoticeSink>.fromOpaque(arg).takeUnretainedValue()
    sink.receive(LibPQConnection.trimMessage(String(cString: message)))
}

/// A `PGcancel` handed to a short-lived thread, so that cancelling never blocks the target.
private final class CancelHandle: @unchecked Sendable {
    let cancel: OpaquePointer
    init(_ cancel: OpaquePointer) { self.cancel = cancel }
    func fire() {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancel, &buffer, Int32(buffer.count))
        PQfreeCancel(cancel)
    }
}

/// One libpq connection, used from one thread. Every wait is bounded by a deadline: the
/// connection is made with `PQconnectStartParams` + `PQconnectPoll` and statements are sent
/// with `PQsendQuery*`, each awaited with `poll()` on the socket. The session also gets a
/// server-side `statement_timeout`. No C pointer leaves this type.
final class LibPQConnection {
    private var conn: OpaquePointer?
    private let notices = NoticeSink()
    private let secret: String?

    /// Parsed parameters of `dsn` (a URI `postgresql://…` or `key=value` pairs), with the
    /// password taken out for scrubbing. Throws `.badDSN` with a message free of the password.
    static func parse(dsn: String) throws -> [String: String] {
        var errmsg: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(dsn, &errmsg) else {
            var text = "invalid connection string"
            if let errmsg {
                text += ": " + trimMessage(String(cString: errmsg))
                PQfreemem(errmsg)
            }
            throw PostgresError(.badDSN, scrub(text, password: passwordGuess(dsn)) + " in \(Redaction.conninfo(dsn))")
        }
        defer { PQconninfoFree(options) }
        var out: [String: String] = [:]
        var p = options
        while let keyword = p.pointee.keyword {
            if let val = p.pointee.val {
                out[String(cString: keyword)] = String(cString: val)
            }
            p = p.advanced(by: 1)
        }
        return out
    }

    /// Connects within `deadline`. `statementTimeout` (seconds, 0 = none) is set on the session.
    /// `database`, when given, replaces the DSN's database.
    /// `lockTimeout` (seconds, 0 = none) bounds waits for locks on the session.
    /// `statisticsSnapshot`: on PostgreSQL 15+, `stats_fetch_consistency = snapshot`, for a
    /// session that reads the statistics of every table at once (the first read copies them
    /// all; each later one, for a table or an index with no statistics too, is a local lookup).
    init(dsn: String, database: String? = nil, applicationName: String = "vigil", statementTimeout: Double,
         lockTimeout: Double = 1, statisticsSnapshot: Bool = false, deadline: ContinuousClock.Instant) throws {
        let params = try Self.parse(dsn: dsn)
        secret = params["password"].flatMap { $0.isEmpty ? nil : $0 }

        // application_name comes first, so that one given in the DSN wins; the DSN is expanded
        // from the first `dbname`; a second `dbname` is a plain database name that overrides it.
        var keywords = ["application_name", "dbname"]
        var values = [applicationName, dsn]
        if let database {
            keywords.append("dbname")
            values.append(database)
        }
        let started: OpaquePointer? = withCStringArray(keywords) { kw in
            withCStringArray(values) { vals in
                PQconnectStartParams(kw, vals, 1)
            }
        }
        guard let started else { throw PostgresError(.connect, "out of memory starting a connection") }
        conn = started
        PQsetNoticeProcessor(started, vigilNoticeProcessor, Unmanaged.passUnretained(notices).toOpaque())

        do {
            try finishConnecting(deadline: deadline)
            if PQsetnonblocking(started, 1) != 0 {
                throw PostgresError(.connect, "could not switch the connection to non-blocking mode")
            }
            var settings: [String] = []
            if statementTimeout > 0 {
                settings.append("SET statement_timeout = \(max(1, Int((statementTimeout * 1000).rounded())))")
            }
            if lockTimeout > 0 {
                // A table under ACCESS EXCLUSIVE lock must not hold a collection up until the
                // statement timeout.
                settings.append("SET lock_timeout = \(max(1, Int((lockTimeout * 1000).rounded())))")
            }
            if PQserverVersion(started) >= 120_000 {
                // Vigil's prepared statements take only oid and pid lists: their generic plan
                // is as good as a custom one, and the server would otherwise plan each one
                // with parameters again for its first five executions on every connection.
                settings.append("SET plan_cache_mode = force_generic_plan")
            }
            if statisticsSnapshot, PQserverVersion(started) >= 150_000 {
                settings.append("SET stats_fetch_consistency = snapshot")
            }
            if !settings.isEmpty {
                _ = try query(settings.joined(separator: "; "), deadline: deadline)
            }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    private func finishConnecting(deadline: ContinuousClock.Instant) throws {
        guard let conn else { throw PostgresError(.connect, "no connection") }
        if PQstatus(conn) == CONNECTION_BAD {
            throw PostgresError(.connect, errorMessage())
        }
        var state = PGRES_POLLING_WRITING
        while true {
            switch state {
            case PGRES_POLLING_OK:
                return
            case PGRES_POLLING_FAILED:
                throw PostgresError(.connect, errorMessage())
            case PGRES_POLLING_READING:
                try wait(for: Int16(POLLIN), deadline: deadline, during: "connecting")
            default:
                try wait(for: Int16(POLLOUT), deadline: deadline, during: "connecting")
            }
            state = PQconnectPoll(conn)
        }
    }

    /// Waits until the socket is ready for `events` or the deadline passes.
    private func wait(for events: Int16, deadline: ContinuousClock.Instant, during what: String) throws {
        guard let conn else { throw PostgresError(.connectionLost, "no connection") }
        let fd = PQsocket(conn)
        guard fd >= 0 else { throw PostgresError(.connectionLost, "connection has no socket " + what) }
        while true {
            let left = deadline - ContinuousClock.now
            let ms = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000
            if ms <= 0 { throw PostgresError(.timeout, "timed out \(what)") }
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let rc = poll(&pfd, 1, Int32(clamping: ms))
            if rc > 0 { return }
            if rc == 0 { continue }  // loop re-checks the deadline
            if errno == EINTR { continue }
            throw PostgresError(.connectionLost, "poll failed \(what): errno \(errno)")
        }
    }

    /// Server version as an integer (`150004` for 15.4), 0 when not connected.
    var serverVersion: Int { conn.map { Int(PQserverVersion($0)) } ?? 0 }

    /// The server process id of this session (`pg_backend_pid()`), 0 when not connected.
    var backendPID: Int32 { conn.map { PQbackendPID($0) } ?? 0 }

    /// Whether the connection is still usable. Reads what the server sent meanwhile (without
    /// waiting), so a session the server closed (restart, `pg_terminate_backend`) shows up here.
    var isHealthy: Bool {
        guard let conn else { return false }
        if PQstatus(conn) == CONNECTION_OK, PQisBusy(conn) == 0 {
            _ = PQconsumeInput(conn)
        }
        return PQstatus(conn) == CONNECTION_OK
    }

    /// Notices received so far (the server's NOTICE/WARNING messages).
    var noticeCount: Int { notices.count }
    var lastNotice: String? { notices.last }

    /// Runs `sql` (with `$1…` parameters bound as text) and returns the rows of its last
    /// result. When the deadline passes the statement is cancelled and `.timeout` is thrown;
    /// the connection must then be dropped.
    func query(_ sql: String, _ params: [String?] = [], deadline: ContinuousClock.Instant) throws -> QueryResult {
        try run(deadline: deadline) { conn in
            if params.isEmpty { return PQsendQuery(conn, sql) }
            return withOptionalCStringArray(params) { values in
                PQsendQueryParams(conn, sql, Int32(params.count), nil, values, nil, nil, 0)
            }
        }
    }

    /// Statements prepared on this connection, by SQL text: `queryPrepared` has the server
    /// parse and plan a statement once per connection instead of once per collection.
    private var prepared: [String: String] = [:]
    private var preparedCount = 0

    /// `query` for one statement, prepared on first use (one round trip more, once) and
    /// executed by name after. A statement the server forgot (`DISCARD ALL`, a pooler) or
    /// whose plan no longer fits (its result type changed) is prepared again, once.
    func queryPrepared(_ sql: String, _ params: [String?] = [], deadline: ContinuousClock.Instant) throws -> QueryResult {
        if let name = prepared[sql] {
            do {
                return try execute(name, params, deadline: deadline)
            } catch let e as PostgresError where e.sqlState == "26000" || e.sqlState == "0A000" {
                prepared[sql] = nil
            }
        }
        preparedCount += 1
        let name = "vigil_\(preparedCount)"
        _ = try run(deadline: deadline) { conn in PQsendPrepare(conn, name, sql, Int32(params.count), nil) }
        prepared[sql] = name
        return try execute(name, params, deadline: deadline)
    }

    private func execute(_ name: String, _ params: [String?], deadline: ContinuousClock.Instant) throws -> QueryResult {
        try run(deadline: deadline) { conn in
            withOptionalCStringArray(params) { values in
                PQsendQueryPrepared(conn, name, Int32(params.count), values, nil, nil, 0)
            }
        }
    }

    /// Sends with `send` and collects the results of one statement, bounded by `deadline`.
    private func run(deadline: ContinuousClock.Instant, _ send: (OpaquePointer) -> Int32) throws -> QueryResult {
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            throw PostgresError(.connectionLost, "not connected")
        }
        guard send(conn) == 1 else { throw lostOrFailed() }

        do {
            // Flush the outgoing buffer (non-blocking mode).
            while true {
                let f = PQflush(conn)
                if f == 0 { break }
                if f < 0 { throw lostOrFailed() }
                try wait(for: Int16(POLLOUT | POLLIN), deadline: deadline, during: "sending a statement")
                if PQconsumeInput(conn) == 0 { throw lostOrFailed() }
            }
            var last: QueryResult?
            var failure: PostgresError?
            while true {
                while PQisBusy(conn) == 1 {
                    try wait(for: Int16(POLLIN), deadline: deadline, during: "waiting for the server")
                    if PQconsumeInput(conn) == 0 { throw lostOrFailed() }
                }
                guard let res = PQgetResult(conn) else { break }
                defer { PQclear(res) }
                switch PQresultStatus(res) {
                case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
                    last = Self.rows(of: res)
                case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                    if last == nil { last = QueryResult(columns: [], rows: []) }
                case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
                    failure = PostgresError(.query, "COPY is not supported")
                default:
                    if failure == nil { failure = resultError(res) }
                }
            }
            if PQstatus(conn) != CONNECTION_OK {
                if let failure { throw PostgresError(.connectionLost, failure.message, sqlState: failure.sqlState) }
                throw lostOrFailed()
            }
            if let failure { throw failure }
            return last ?? QueryResult(columns: [], rows: [])
        } catch let e as PostgresError where e.kind == .timeout {
            cancelInBackground()
            close()
            throw e
        }
    }

    /// Asks the server to cancel the running statement from a short-lived thread (`PQcancel`
    /// itself connects and waits; it must not hold up the target's thread).
    private func cancelInBackground() {
        guard let conn, let cancel = PQgetCancel(conn) else { return }
        let handle = CancelHandle(cancel)
        let thread = Thread { handle.fire() }
        thread.name = "vigil-pg-cancel"
        thread.start()
    }

    func close() {
        if let conn {
            PQfinish(conn)
            self.conn = nil
        }
    }

    // MARK: - Results and errors

    private static func rows(of res: OpaquePointer) -> QueryResult {
        let nf = PQnfields(res)
        let nt = PQntuples(res)
        var columns: [String] = []
        columns.reserveCapacity(Int(nf))
        for c in 0..<nf {
            columns.append(PQfname(res, c).map { String(cString: $0) } ?? "?column?")
        }
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(nt))
        for r in 0..<nt {
            var row: [String?] = []
            row.reserveCapacity(Int(nf))
            for c in 0..<nf {
                if PQgetisnull(res, r, c) == 1 {
                    row.append(nil)
                } else if let v = PQgetvalue(res, r, c) {
                    row.append(String(cString: v))
                } else {
                    row.append(nil)
                }
            }
            rows.append(row)
        }
        return QueryResult(columns: columns, rows: rows)
    }

    private func resultError(_ res: OpaquePointer) -> PostgresError {
        let primary = PQresultErrorField(res, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
        let state = PQresultErrorField(res, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        let text = primary ?? PQresultErrorMessage(res).map { String(cString: $0) } ?? "statement failed"
        return PostgresError(.query, scrubbed(Self.trimMessage(text)), sqlState: state)
    }

    private func lostOrFailed() -> PostgresError {
        let text = errorMessage()
        if let conn, PQstatus(conn) == CONNECTION_OK {
            return PostgresError(.query, text)
        }
        return PostgresError(.connectionLost, text)
    }

    private func errorMessage() -> String {
        guard let conn, let m = PQerrorMessage(conn) else { return "unknown libpq error" }
        let text = Self.trimMessage(String(cString: m))
        return scrubbed(text.isEmpty ? "unknown libpq error" : text)
    }

    private func scrubbed(_ text: String) -> String { Self.scrub(text, password: secret) }

    /// libpq's messages span lines (`…failed: Connection refused\n\tIs the server running…`):
    /// one line, whitespace collapsed, trailing newline gone.
    static func trimMessage(_ text: String) -> String {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }

    /// Replaces every occurrence of `password` in `text` with the redaction mask.
    static func scrub(_ text: String, password: String?) -> String {
        guard let password, !password.isEmpty else { return text }
        return text.replacingOccurrences(of: password, with: Redaction.mask)
    }

    /// Best effort for a DSN libpq refused to parse: the URL password or `password=` value.
    static func passwordGuess(_ dsn: String) -> String? {
        if let r = dsn.range(of: "://") {
            let rest = dsn[r.upperBound...]
            let authority = rest.prefix(while: { $0 != "/" && $0 != "?" })
            if let at = authority.lastIndex(of: "@") {
                let userinfo = authority[..<at]
                if let colon = userinfo.firstIndex(of: ":") {
                    return String(userinfo[userinfo.index(after: colon)...])
                }
            }
        }
        if let r = dsn.range(of: "password") {
            var rest = dsn[r.upperBound...].drop(while: { $0 == " " || $0 == "=" })
            if rest.first == "'" { rest = rest.dropFirst(); return String(rest.prefix(while: { $0 != "'" })) }
            let v = String(rest.prefix(while: { $0 != " " && $0 != "&" }))
            return v.isEmpty ? nil : v
        }
        return nil
    }
}

// MARK: - C string arrays

private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withOptionalCStringArray(strings.map { Optional($0) }, body)
}

/// Calls `body` with a NULL-terminated array of C strings (a nil element stays NULL).
private func withOptionalCStringArray<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let buffer = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: strings.count + 1)
    var owned: [UnsafeMutablePointer<CChar>] = []
    for (i, s) in strings.enumerated() {
        if let s, let copy = strdup(s) {
            owned.append(copy)
            (buffer + i).initialize(to: UnsafePointer(copy))
        } else {
            (buffer + i).initialize(to: nil)
        }
    }
    (buffer + strings.count).initialize(to: nil)
    defer {
        for p in owned { free(p) }
        buffer.deinitialize(count: strings.count + 1)
        buffer.deallocate()
    }
    return body(UnsafePointer(buffer))
}
