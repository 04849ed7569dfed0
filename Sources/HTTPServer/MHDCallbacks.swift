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

/// MHD_AccessHandlerCallback: called once when the headers are in (allocates the request
/// state), then once per chunk of upload data, then once more with no data to answer.
let mhdAccessHandler: MHD_AccessHandlerCallback = { cls, connection, url, method, _, uploadData, uploadDataSize, conCls in
    guard let cls, let connection, let conCls else { return .NO }
    let server = Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue()

    guard let statePointer = conCls.pointee else {
        let state = RequestState(server: server)
        conCls.pointee = Unmanaged.passRetained(state).toOpaque()
        // Refuse an announced oversized body before reading any of it.
        if let length = lookupHeader(connection, "Content-Length"), let announced = Int(trimmedSpace(length)) {
            if announced > server.maxBodyBytes {
                state.responded = true
                return queue(connection, tooLargeResponse(server.maxBodyBytes), closeAfter: true)
            }
            if announced > 0 { state.body.reserveCapacity(announced) }
        }
        return .YES
    }
    let state = Unmanaged<RequestState>.fromOpaque(statePointer).takeUnretainedValue()

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

    if state.responded { return .YES }
    state.responded = true
    if state.tooLarge { return queue(connection, tooLargeResponse(server.maxBodyBytes), closeAfter: true) }

    let request = HTTPRequest(
        method: method.map { String(cString: $0) } ?? "",
        path: url.map { String(cString: $0) } ?? "",
        query: collect(connection, MHD_ValueKind.GET_ARGUMENT_KIND, joinRepeats: false),
        headers: collect(connection, MHD_ValueKind.HEADER_KIND, joinRepeats: true),
        body: state.body
    )
    state.body = []
    return queue(connection, server.handler(request))
}

/// MHD_RequestCompletedCallback: releases the request state, whatever the outcome.
let mhdRequestCompleted: MHD_RequestCompletedCallback = { _, _, conCls, _ in
    guard let conCls, let pointer = conCls.pointee else { return }
    Unmanaged<RequestState>.fromOpaque(pointer).release()
    conCls.pointee = nil
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
    var values: [String: String] = [:]
    let joinRepeats: Bool
    init(joinRepeats: Bool) { self.joinRepeats = joinRepeats }
}

private let mhdValueIterator: MHD_KeyValueIterator = { cls, _, key, value in
    guard let cls, let key else { return .YES }
    let collector = Unmanaged<ValueCollector>.fromOpaque(cls).takeUnretainedValue()
    var name = String(cString: key)
    if collector.joinRepeats { name = name.lowercased() }
    let text = value.map { String(cString: $0) } ?? ""
    if let existing = collector.values[name] {
        if collector.joinRepeats { collector.values[name] = existing + ", " + text }
    } else {
        collector.values[name] = text
    }
    return .YES
}

private func collect(_ connection: OpaquePointer, _ kind: MHD_ValueKind, joinRepeats: Bool) -> [String: String] {
    let collector = ValueCollector(joinRepeats: joinRepeats)
    withExtendedLifetime(collector) {
        _ = MHD_get_connection_values(connection, kind, mhdValueIterator, Unmanaged.passUnretained(collector).toOpaque())
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

/// Copies a response into libmicrohttpd and queues it. `closeAfter` ends the connection after
/// this response (used for 413, where the rest of the body may still be on the wire).
private func queue(_ connection: OpaquePointer, _ response: HTTPResponse, closeAfter: Bool = false) -> MHD_Result {
    let made: OpaquePointer? = response.body.withUnsafeBytes { raw in
        MHD_create_response_from_buffer(raw.count, UnsafeMutableRawPointer(mutating: raw.baseAddress), .RESPMEM_MUST_COPY)
    }
    guard let mhdResponse = made else { return .NO }
    defer { MHD_destroy_response(mhdResponse) }
    for (name, value) in response.headers {
        guard !name.isEmpty, isClean(name), isClean(value), !managedHeaders.contains(name.lowercased()) else { continue }
        _ = MHD_add_response_header(mhdResponse, name, value)
    }
    if closeAfter {
        _ = MHD_add_response_header(mhdResponse, "Connection", "close")
    }
    let status = (100...999).contains(response.status) ? UInt32(response.status) : 500
    return MHD_queue_response(connection, status, mhdResponse)
}

/// The string without leading and trailing ASCII spaces, tabs and line breaks.
func trimmedSpace(_ s: String) -> String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
    guard let first = s.firstIndex(where: { !isSpace($0) }), let last = s.lastIndex(where: { !isSpace($0) }) else {
        return ""
    }
    return String(s[first...last])
}
