#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CMicroHTTPD

// libmicrohttpd callbacks. They are non-capturing closures at file scope (a capturing closure
// where a C function pointer is expected crashes the 6.3.1 compiler); all context travels
// through the `void *` arguments as `Unmanaged` references. They all run on libmicrohttpd's
// internal thread.

/// The key of a connection in the tracker: its address, unique while it is open.
@inline(__always)
func connectionKey(_ connection: OpaquePointer) -> UInt {
    UInt(bitPattern: Int(bitPattern: connection))
}

/// Methods as RFC 9110 (and RFC 5789 for PATCH) spell them; methods are case-sensitive, so
/// `get` is not GET. Anything else is answered 501 before routing.
func isImplementedMethod(_ method: String) -> Bool {
    switch method {
    case "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH": true
    default: false
    }
}

/// MHD_AccessHandlerCallback: called once when the headers are in, then once per chunk of
/// upload data, then once more with no data to answer — and, for a deferred reply, once more
/// after the connection is resumed, to queue the answer.
let mhdAccessHandler: MHD_AccessHandlerCallback = { cls, connection, url, method, version, uploadData, uploadDataSize, conCls in
    guard let cls, let connection, let conCls else { return .NO }
    let server = Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue()

    let state: RequestState
    if let existing = conCls.pointee {
        state = Unmanaged<RequestState>.fromOpaque(existing).takeUnretainedValue()
    } else {
        // The URI logger allocates the state; this is only a fallback.
        state = RequestState(server: server)
        conCls.pointee = Unmanaged.passRetained(state).toOpaque()
    }

    if !state.started {
        state.started = true
        server.tracker.headerComplete(connectionKey(connection))
        let methodText = method.map { String(cString: $0) } ?? ""
        guard isImplementedMethod(methodText) else {
            state.responded = true
            return queue(connection, server, .text(status: 501, "501 method not implemented\n"), closeAfter: true)
        }
        if let refusal = clientCertificateRefusal(connection, server.clientAuth) {
            state.responded = true
            return queue(connection, server, refusal, closeAfter: true)
        }
        if state.pathHasControlCharacter || rawTargetHasNUL(state, version: version) {
            state.responded = true
            return queue(connection, server, .text(status: 400, "400 bad request: control character in the path\n"), closeAfter: true)
        }
        // Refuse an announced oversized body before reading any of it.
        if let length = lookupHeader(connection, "Content-Length"), let announced = Int(trimmedSpace(length)) {
            if announced > server.maxBodyBytes {
                state.responded = true
                return queue(connection, server, tooLargeResponse(server.maxBodyBytes), closeAfter: true)
            }
            if announced > 0 { state.body.reserveCapacity(announced) }
        }
        return .YES
    }

    if let uploadDataSize, uploadDataSize.pointee > 0 {
        let count = uploadDataSize.pointee
        if !state.tooLarge && !state.responded {
            if state.body.count + count > server.maxBodyBytes {
                state.tooLarge = true
                state.body = []
            } else if let uploadData {
                state.body.append(contentsOf: UnsafeRawBufferPointer(start: uploadData, count: count))
            }
        }
        uploadDataSize.pointee = 0
        return .YES
    }

    if let pending = state.pending {
        // Resumed: the deferred reply has answered.
        guard let (response, closeAfter) = server.deferrals.take(pending) else {
            return queue(connection, server, .text(status: 500, "500 resumed without an answer\n"), closeAfter: true)
        }
        return queue(connection, server, response, closeAfter: closeAfter)
    }

    if state.responded { return .YES }
    state.responded = true
    if state.tooLarge { return queue(connection, server, tooLargeResponse(server.maxBodyBytes), closeAfter: true) }

    let request = HTTPRequest(
        method: method.map { String(cString: $0) } ?? "",
        path: url.map { String(cString: $0) } ?? "",
        query: state.hasQuery ? collect(connection, MHD_ValueKind.GET_ARGUMENT_KIND, joinRepeats: false) : [:],
        loweredHeaders: collect(connection, MHD_ValueKind.HEADER_KIND, joinRepeats: true),
        body: state.body
    )
    state.body = []
    switch server.handler(request) {
    case .now(let response):
        return queue(connection, server, response)
    case .deferred(let start):
        guard let pending = server.deferrals.suspend(connection) else {
            return queue(connection, server, .text(status: 503, "503 the server is shutting down\n"), closeAfter: true)
        }
        state.pending = pending
        start(HTTPResponder(pending: pending, deferrals: server.deferrals))
        return .YES
    }
}

/// The 403 for a client whose certificate does not satisfy `mode`, nil when it does.
/// libmicrohttpd (0.9.75) asks for a certificate but never verifies it, so this does, per
/// request, before any routing.
private func clientCertificateRefusal(_ connection: OpaquePointer, _ mode: TLSConfiguration.ClientAuth) -> HTTPResponse? {
    guard mode != .none else { return nil }
    switch (vigil_mhd_client_certificate_status(connection), mode) {
    case (1, _), (0, .verifyIfGiven): return nil
    case (0, _): return .text(status: 403, "403 a client certificate is required\n")
    default: return .text(status: 403, "403 the client certificate is not trusted\n")
    }
}

/// MHD_RequestCompletedCallback: releases the request state, whatever the outcome; a request
/// that completed normally leaves its connection waiting for the next header.
let mhdRequestCompleted: MHD_RequestCompletedCallback = { cls, connection, conCls, termination in
    if let conCls, let pointer = conCls.pointee {
        let state = Unmanaged<RequestState>.fromOpaque(pointer).takeRetainedValue()
        conCls.pointee = nil
        if let cls, let pending = state.pending {
            Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue().deferrals.finished(pending)
        }
    }
    if let cls, let connection, termination == .REQUEST_TERMINATED_COMPLETED_OK {
        Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue().tracker.requestFinished(connectionKey(connection))
    }
}

/// MHD_OPTION_URI_LOG_CALLBACK: runs when a request line is in, with the raw request target.
/// Allocates the request state (it becomes `con_cls`) and judges the raw path.
let mhdURILogger: vigil_mhd_uri_logger = { cls, uri, _ in
    guard let cls else { return nil }
    let server = Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue()
    let state = RequestState(server: server)
    if let uri {
        state.pathHasControlCharacter = rawPathHasControlCharacter(uri)
        let length = strlen(uri)
        state.rawTargetEnd = UInt(bitPattern: Int(bitPattern: uri)) + UInt(length)
        state.hasQuery = memchr(uri, Int32(UInt8(ascii: "?")), length) != nil
    }
    return Unmanaged.passRetained(state).toOpaque()
}

/// MHD_NotifyConnectionCallback: a connection was accepted, or is about to be closed (its socket
/// still open: libmicrohttpd closes it after this returns).
let mhdConnectionNotify: MHD_NotifyConnectionCallback = { cls, connection, _, code in
    guard let cls, let connection else { return }
    let server = Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue()
    switch code {
    case .CONNECTION_NOTIFY_STARTED:
        server.tracker.opened(connectionKey(connection), fd: vigil_mhd_connection_fd(connection))
    case .CONNECTION_NOTIFY_CLOSED:
        server.tracker.closed(connectionKey(connection))
    default:
        break
    }
}

/// Whether the raw request target held a NUL byte, which ends it early for every C string
/// libmicrohttpd hands over (`GET /metrics<NUL>x` would otherwise be routed as `/metrics`).
/// libmicrohttpd 0.9.75 parses the request line in place: `METHOD\0TARGET\0VERSION`, the space
/// before the version overwritten with the NUL right before `version`. So the target the URI
/// logger measured must end exactly there; ending earlier means a NUL inside it. When the
/// version is not found right after the target (no version, or a future layout), nothing is
/// concluded.
func rawTargetHasNUL(_ state: RequestState, version: UnsafePointer<CChar>?) -> Bool {
    guard state.rawTargetEnd != 0, let version, version.pointee != 0 else { return false }
    let separator = UInt(bitPattern: Int(bitPattern: version)) &- 1
    guard separator > state.rawTargetEnd, separator - state.rawTargetEnd < 1 << 16 else { return false }
    return true
}

/// Whether the path of a raw request target (up to `?`) holds a control character, raw or
/// percent-encoded (`%00`–`%1F`, `%7F`).
func rawPathHasControlCharacter(_ uri: UnsafePointer<CChar>) -> Bool {
    func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
    func isControl(_ b: UInt8) -> Bool { b < 0x20 || b == 0x7F }
    var p = UnsafeRawPointer(uri).assumingMemoryBound(to: UInt8.self)
    while p.pointee != 0 && p.pointee != UInt8(ascii: "?") {
        let b = p.pointee
        if isControl(b) { return true }
        if b == UInt8(ascii: "%"), let hi = hex(p[1]), let lo = hex(p[2]) {
            if isControl(hi << 4 | lo) { return true }
            p += 3
            continue
        }
        p += 1
    }
    return false
}

/// MHD_LogCallback: formats libmicrohttpd's message and hands it to the server's log sink.
let mhdLogger: MHD_LogCallback = { cls, format, arguments in
    guard let cls, let format, let arguments else { return }
    let server = Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue()
    var buffer = [CChar](repeating: 0, count: 1024)
    _ = vsnprintf(&buffer, buffer.count, format, arguments)
    let message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    server.log?(trimmedSpace(message))
}

/// Collects one kind of connection value (headers or query arguments).
private final class ValueCollector {
    var values: [String: String]
    let joinRepeats: Bool
    init(joinRepeats: Bool) {
        self.joinRepeats = joinRepeats
        values = Dictionary(minimumCapacity: joinRepeats ? 8 : 2)
    }
}

/// Binary-safe (the `_n` variant): a value decoded from `%00` keeps its NUL instead of ending
/// there, so `query=up%00` reaches the handler as Prometheus would see it, not as `up`.
private let mhdValueIterator: MHD_KeyValueIteratorN = { cls, _, key, keySize, value, valueSize in
    guard let cls, let key else { return .YES }
    let collector = Unmanaged<ValueCollector>.fromOpaque(cls).takeUnretainedValue()
    let raw = UnsafeRawBufferPointer(start: key, count: keySize)
    let name = collector.joinRepeats ? lowercasedName(raw) : String(decoding: raw, as: UTF8.self)
    let text = value.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: valueSize), as: UTF8.self) } ?? ""
    if let existing = collector.values[name] {
        if collector.joinRepeats { collector.values[name] = existing + ", " + text }
    } else {
        collector.values[name] = text
    }
    return .YES
}

/// `String(decoding: raw, as: UTF8.self).lowercased()`, made in one pass for an ASCII name (what
/// header names are); anything else goes through `lowercased()`.
private func lowercasedName(_ raw: UnsafeRawBufferPointer) -> String {
    var upper = false
    for c in raw {
        if c >= 0x80 { return String(decoding: raw, as: UTF8.self).lowercased() }
        if c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") { upper = true }
    }
    guard upper else { return String(decoding: raw, as: UTF8.self) }
    return String(unsafeUninitializedCapacity: raw.count) { out in
        for (i, c) in raw.enumerated() {
            out[i] = c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c | 0x20 : c
        }
        return raw.count
    }
}

private func collect(_ connection: OpaquePointer, _ kind: MHD_ValueKind, joinRepeats: Bool) -> [String: String] {
    let collector = ValueCollector(joinRepeats: joinRepeats)
    withExtendedLifetime(collector) {
        _ = MHD_get_connection_values_n(connection, kind, mhdValueIterator, Unmanaged.passUnretained(collector).toOpaque())
    }
    return collector.values
}

private func lookupHeader(_ connection: OpaquePointer, _ name: String) -> String? {
    MHD_lookup_connection_value(connection, MHD_ValueKind.HEADER_KIND, name).map { String(cString: $0) }
}

private func tooLargeResponse(_ limit: Int) -> HTTPResponse {
    .text(status: 413, "413 request body larger than \(limit) bytes\n")
}

/// Headers libmicrohttpd manages itself.
private let managedHeaders: Set<String> = ["content-length", "transfer-encoding", "connection"]

private func isClean(_ s: String) -> Bool {
    !s.utf8.contains { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F }
}

/// Gives back the retain a libmicrohttpd response held on the bytes of a `SharedBody`.
private let releaseShared: MHD_ContentReaderFreeCallback = { cls in
    guard let cls else { return }
    Unmanaged<SharedBytes>.fromOpaque(cls).release()
}

/// Queues a response. A shared body's response is made once, with its headers, and kept by the
/// `SharedBody` for every later request with the same status and headers (see `SharedBody`);
/// any other response is copied into libmicrohttpd (or, for a shared body, lent) and made for this
/// request. `closeAfter` ends the connection after this response (used for 413, where the rest of
/// the body may still be on the wire).
private func queue(_ connection: OpaquePointer, _ server: ServerContext, _ response: HTTPResponse, closeAfter: Bool = false) -> MHD_Result {
    let status = (100...999).contains(response.status) ? UInt32(response.status) : 500
    let extra = server.extraHeaders.withLock { $0 }
    if let shared = response.shared, !closeAfter {
        if let kept = shared.preparedResponse(status: status, headers: response.headers, generation: extra.generation) {
            return MHD_queue_response(connection, status, kept)
        }
        guard let made = makeResponse(response, extra.headers, closeAfter: false) else { return .NO }
        let result = MHD_queue_response(connection, status, made)
        if !shared.keep(made, status: status, headers: response.headers, generation: extra.generation) {
            MHD_destroy_response(made)
        }
        return result
    }
    guard let made = makeResponse(response, extra.headers, closeAfter: closeAfter) else { return .NO }
    defer { MHD_destroy_response(made) }
    return MHD_queue_response(connection, status, made)
}

/// A new libmicrohttpd response: the body (copied, or lent from a shared body, whose bytes it
/// retains until libmicrohttpd frees it), the response's headers, then the server's `extra`
/// headers the response does not set itself.
private func makeResponse(_ response: HTTPResponse, _ extra: [(String, String)], closeAfter: Bool) -> OpaquePointer? {
    let made: OpaquePointer?
    if let shared = response.shared, let base = shared.base {
        let retained = Unmanaged.passRetained(shared.storage)
        made = MHD_create_response_from_buffer_with_free_callback_cls(shared.count, base, releaseShared, retained.toOpaque())
        if made == nil { retained.release() }
    } else {
        made = response.body.withUnsafeBytes { raw in
            MHD_create_response_from_buffer(raw.count, UnsafeMutableRawPointer(mutating: raw.baseAddress), .RESPMEM_MUST_COPY)
        }
    }
    guard let mhdResponse = made else { return nil }
    let own = Set(response.headers.map { $0.0.lowercased() })
    for (name, value) in response.headers + extra.filter({ !own.contains($0.0.lowercased()) }) {
        guard !name.isEmpty, isClean(name), isClean(value), !managedHeaders.contains(name.lowercased()) else { continue }
        _ = MHD_add_response_header(mhdResponse, name, value)
    }
    if closeAfter {
        _ = MHD_add_response_header(mhdResponse, "Connection", "close")
    }
    return mhdResponse
}

/// The string without leading and trailing ASCII spaces, tabs and line breaks.
func trimmedSpace(_ s: String) -> String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
    guard let first = s.firstIndex(where: { !isSpace($0) }), let last = s.lastIndex(where: { !isSpace($0) }) else {
        return ""
    }
    return String(s[first...last])
}
