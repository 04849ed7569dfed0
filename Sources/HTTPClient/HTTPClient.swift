#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCurl
import Foundation
import Synchronization
public import VigilCore

/// HTTP(S) on libcurl, the only importer of CCurl. `perform` blocks the calling thread and is
/// meant for collector threads (never the Swift concurrency pool); `send` is the async face,
/// which runs `perform` on a thread of its own. Every request is bounded by its timeout and a
/// deadline, its response body by a size limit; only http and https are spoken.
public enum HTTPClient {
    /// Runs one request on the calling thread.
    public static func perform(_ request: HTTPClientRequest, deadline: ContinuousClock.Instant) throws(HTTPClientError) -> HTTPClientResponse {
        try perform(request, deadline: deadline, cancel: nil)
    }

    /// Runs one request on a dedicated thread. Cancelling the task aborts the transfer.
    public static func send(_ request: HTTPClientRequest) async -> Result<HTTPClientResponse, HTTPClientError> {
        let cancel = CancelFlag()
        let deadline = ContinuousClock.now + .milliseconds(milliseconds(request.timeout))
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPClientResponse, HTTPClientError>, Never>) in
                let thread = Thread {
                    let result = Result { () throws(HTTPClientError) -> HTTPClientResponse in
                        try perform(request, deadline: deadline, cancel: cancel)
                    }
                    continuation.resume(returning: result)
                }
                thread.name = "vigil-http-client"
                thread.stackSize = 512 << 10
                thread.start()
            }
        } onCancel: {
            cancel.set()
        }
    }

    // MARK: - One transfer

    static func perform(_ request: HTTPClientRequest, deadline: ContinuousClock.Instant, cancel: CancelFlag?) throws(HTTPClientError) -> HTTPClientResponse {
        _ = globalInit
        let left = min(milliseconds(request.timeout), milliseconds((deadline - ContinuousClock.now).seconds))
        guard left > 0 else { throw HTTPClientError(.timeout, "timed out before the request was sent") }
        guard request.maxResponseBytes >= 0 else { throw HTTPClientError(.invalidRequest, "negative response size limit") }
        guard let handle = curl_easy_init() else { throw HTTPClientError(.other, "libcurl could not create a handle") }
        defer { curl_easy_cleanup(handle) }
        let transfer = Transfer(limit: request.maxResponseBytes, cancel: cancel, handle: handle)
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        let url = try URLHandle(request.url)
        defer { url.free() }
        var headers = request.headers
        var connectTo: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(connectTo) }
        if let serverName = request.tls.serverName, !serverName.isEmpty {
            // Verify the certificate and send SNI for `serverName` while connecting to the URL's
            // host: the URL names serverName, CONNECT_TO maps it to the real host, and the Host
            // header keeps the real one.
            let (host, port) = try url.hostAndPort()
            if !headers.contains(where: { $0.name.lowercased() == "host" }) {
                headers.append(HTTPClientHeader("Host", url.explicitPort ? "\(host):\(port)" : host))
            }
            try url.setHost(serverName)
            connectTo = curl_slist_append(nil, "\(serverName):\(port):\(host):\(port)")
        }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for h in headers {
            guard Self.isHeaderSafe(h.name), !h.name.isEmpty, Self.isHeaderSafe(h.value) else {
                throw HTTPClientError(.invalidRequest, "header \(Self.printable(h.name)) holds a line break or control character")
            }
            headerList = curl_slist_append(headerList, "\(h.name): \(h.value)")
        }
        // No 100-continue round trip for bodies. Not with SigV4: libcurl 7.88 signs the
        // removed header as if it were sent (`expect;` in SignedHeaders), and the server's
        // signature then differs; SigV4 requests here carry no body.
        if request.sigV4 == nil || !request.body.isEmpty { headerList = curl_slist_append(headerList, "Expect:") }

        let context = Unmanaged.passUnretained(transfer).toOpaque()
        var options = Options(handle)
        options.pointer(CURLOPT_CURLU, url.pointer)
        options.long(CURLOPT_NOSIGNAL, 1)
        options.string(CURLOPT_PROTOCOLS_STR, "http,https")
        options.string(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        options.long(CURLOPT_TIMEOUT_MS, left)
        options.long(CURLOPT_CONNECTTIMEOUT_MS, left)
        options.write(CURLOPT_WRITEFUNCTION, curlWriteBody)
        options.pointer(CURLOPT_WRITEDATA, context)
        options.write(CURLOPT_HEADERFUNCTION, curlWriteHeader)
        options.pointer(CURLOPT_HEADERDATA, context)
        options.long(CURLOPT_NOPROGRESS, 0)
        options.xferinfo(curlProgress)
        options.pointer(CURLOPT_XFERINFODATA, context)
        options.slist(CURLOPT_HTTPHEADER, headerList)
        if let connectTo { options.slist(CURLOPT_CONNECT_TO, connectTo) }
        if request.followRedirects {
            options.long(CURLOPT_FOLLOWLOCATION, 1)
            options.long(CURLOPT_MAXREDIRS, 10)
        }
        if let encoding = request.acceptEncoding { options.string(CURLOPT_ACCEPT_ENCODING, encoding) }
        if let proxy = request.proxyURL { options.string(CURLOPT_PROXY, proxy) }
        try tls(request.tls, &options)
        applyIPResolve(request.ipResolve, &options)
        if let sig = request.sigV4 {
            guard sig.region.utf8.allSatisfy({ Self.isTokenByte($0) }), sig.service.utf8.allSatisfy({ Self.isTokenByte($0) }),
                  !sig.accessKeyID.contains(":"), Self.isHeaderSafe(sig.accessKeyID), Self.isHeaderSafe(sig.secretAccessKey) else {
                throw HTTPClientError(.invalidRequest, "SigV4 region, service or access key holds a character it may not")
            }
            options.string(CURLOPT_AWS_SIGV4, "aws:amz:\(sig.region):\(sig.service)")
            options.string(CURLOPT_USERNAME, sig.accessKeyID)
            options.string(CURLOPT_PASSWORD, sig.secretAccessKey)
        }

        switch request.method {
        case "GET" where request.body.isEmpty:
            options.long(CURLOPT_HTTPGET, 1)
        case "HEAD":
            options.long(CURLOPT_NOBODY, 1)
        default:
            guard !request.method.isEmpty, request.method.utf8.allSatisfy({ Self.isTokenByte($0) }) else {
                throw HTTPClientError(.invalidRequest, "method \(Self.printable(request.method)) is not an HTTP token")
            }
            if request.method != "POST" { options.string(CURLOPT_CUSTOMREQUEST, request.method) }
            options.off(CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
            request.body.withUnsafeBufferPointer { body in
                body.baseAddress.map { base in
                    base.withMemoryRebound(to: CChar.self, capacity: body.count) { options.string(CURLOPT_COPYPOSTFIELDS, $0) }
                } ?? options.string(CURLOPT_COPYPOSTFIELDS, "")
            }
        }
        if let failed = options.failed {
            throw HTTPClientError(.invalidRequest, "libcurl refused an option (\(String(cString: curl_easy_strerror(failed))))")
        }

        let code = errorBuffer.withUnsafeMutableBufferPointer { buffer -> CURLcode in
            _ = vigil_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, buffer.baseAddress)
            let code = curl_easy_perform(handle)
            _ = vigil_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, nil)
            return code
        }
        let truncated = code == CURLE_WRITE_ERROR && transfer.tooLarge && request.truncateOversizedBody
        guard code == CURLE_OK || truncated else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw Self.error(code, detail: detail, transfer: transfer, limit: request.maxResponseBytes)
        }
        var status = 0
        var value = 0
        if vigil_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &value) == CURLE_OK { status = value }
        var response = HTTPClientResponse(status: status, headers: transfer.headers, body: transfer.body, timings: timings(handle))
        if vigil_curl_getinfo_long(handle, CURLINFO_HTTP_VERSION, &value) == CURLE_OK {
            response.httpVersion = switch value {
            case Int(CURL_HTTP_VERSION_1_0): "HTTP/1.0"
            case Int(CURL_HTTP_VERSION_2_0): "HTTP/2"
            case Int(CURL_HTTP_VERSION_3): "HTTP/3"
            default: "HTTP/1.1"
            }
        }
        if vigil_curl_getinfo_long(handle, CURLINFO_REDIRECT_COUNT, &value) == CURLE_OK { response.redirects = value }
        response.primaryIP = primaryIP(handle)
        var length: curl_off_t = -1
        if vigil_curl_getinfo_off(handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK, length >= 0 {
            response.contentLength = Int(length)
        }
        response.tls = transfer.tls
        response.bodyTruncated = truncated
        return response
    }

    /// Opens a TCP connection to `host:port` (TLS on top when `tls` is set) and leaves it open
    /// for `TCPStream.send`/`receive`: libcurl's connect-only mode, so that plain and TLS
    /// streams get the same resolver, timeouts, `tls_config` and certificate checks as HTTP.
    public static func connect(host: String, port: Int, tls: TLSOptions?, ipResolve: IPResolve = .any,
                               deadline: ContinuousClock.Instant) throws(HTTPClientError) -> TCPStream {
        _ = globalInit
        let left = milliseconds((deadline - ContinuousClock.now).seconds)
        guard left > 0 else { throw HTTPClientError(.timeout, "timed out before connecting") }
        guard (1...65535).contains(port), !host.isEmpty, host.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "@") }) else {
            throw HTTPClientError(.invalidRequest, "not a host and port")
        }
        guard let handle = curl_easy_init() else { throw HTTPClientError(.other, "libcurl could not create a handle") }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        var url = "\(tls == nil ? "http" : "https")://\(bracketed):\(port)/"
        var connectTo: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(connectTo) }
        if let serverName = tls?.serverName, !serverName.isEmpty {
            url = "https://\(serverName):\(port)/"
            connectTo = curl_slist_append(nil, "\(serverName):\(port):\(bracketed):\(port)")
        }
        var options = Options(handle)
        options.string(CURLOPT_URL, url)
        options.long(CURLOPT_CONNECT_ONLY, 1)
        options.long(CURLOPT_NOSIGNAL, 1)
        options.long(CURLOPT_CONNECTTIMEOUT_MS, left)
        options.long(CURLOPT_TIMEOUT_MS, left)
        options.string(CURLOPT_PROXY, "")
        if let connectTo { options.slist(CURLOPT_CONNECT_TO, connectTo) }
        applyIPResolve(ipResolve, &options)
        if let tls {
            do { try Self.tls(tls, &options) } catch {
                curl_easy_cleanup(handle)
                throw error
            }
        }
        if let failed = options.failed {
            curl_easy_cleanup(handle)
            throw HTTPClientError(.invalidRequest, "libcurl refused an option (\(String(cString: curl_easy_strerror(failed))))")
        }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code = errorBuffer.withUnsafeMutableBufferPointer { buffer -> CURLcode in
            _ = vigil_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, buffer.baseAddress)
            let code = curl_easy_perform(handle)
            _ = vigil_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, nil)
            return code
        }
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            curl_easy_cleanup(handle)
            throw Self.error(code, detail: detail, transfer: Transfer(limit: 0, cancel: nil, handle: nil), limit: 0)
        }
        var socket: curl_socket_t = -1
        guard vigil_curl_getinfo_socket(handle, &socket) == CURLE_OK, socket >= 0 else {
            curl_easy_cleanup(handle)
            throw HTTPClientError(.connect, "connected, but libcurl has no socket")
        }
        return TCPStream(handle: handle, socket: socket, primaryIP: primaryIP(handle), timings: timings(handle),
                         tls: tls != nil)
    }

    // MARK: - Helpers

    private static let globalInit: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    private static func tls(_ t: TLSOptions, _ options: inout Options) throws(HTTPClientError) {
        if let ca = t.caFile { options.string(CURLOPT_CAINFO, ca) }
        if let cert = t.certFile { options.string(CURLOPT_SSLCERT, cert) }
        if let key = t.keyFile { options.string(CURLOPT_SSLKEY, key) }
        if t.insecureSkipVerify {
            options.long(CURLOPT_SSL_VERIFYPEER, 0)
            options.long(CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let v = t.minVersion {
            let value: Int = switch v {
            case .tls10: Int(CURL_SSLVERSION_TLSv1_0)
            case .tls11: Int(CURL_SSLVERSION_TLSv1_1)
            case .tls12: Int(CURL_SSLVERSION_TLSv1_2)
            case .tls13: Int(CURL_SSLVERSION_TLSv1_3)
            }
            options.long(CURLOPT_SSLVERSION, value)
        }
    }

    private static func applyIPResolve(_ r: IPResolve, _ options: inout Options) {
        switch r {
        case .any: break
        case .v4: options.long(CURLOPT_IPRESOLVE, Int(CURL_IPRESOLVE_V4))
        case .v6: options.long(CURLOPT_IPRESOLVE, Int(CURL_IPRESOLVE_V6))
        }
    }

    static func primaryIP(_ handle: UnsafeMutableRawPointer) -> String? {
        var ip: UnsafeMutablePointer<CChar>?
        guard vigil_curl_getinfo_string(handle, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK, let ip else { return nil }
        let s = String(cString: ip)
        return s.isEmpty ? nil : s
    }

    /// The TLS session of the handle's live connection, nil without one.
    static func tlsInfo(_ handle: UnsafeMutableRawPointer) -> TLSSessionInfo? {
        var info = vigil_tls_info()
        guard vigil_curl_tls_info(handle, &info) == 1 else { return nil }
        let version = withUnsafeBytes(of: info.version) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return TLSSessionInfo(version: version,
                              earliestPeerExpiry: info.peer_certificates > 0 ? Double(info.earliest_peer_expiry) : nil,
                              verifiedChainExpiry: info.verified_certificates > 0 ? Double(info.verified_chain_expiry) : nil)
    }

    static func timings(_ handle: UnsafeMutableRawPointer) -> PhaseTimings {
        func micros(_ info: CURLINFO) -> Double {
            var v: curl_off_t = 0
            return vigil_curl_getinfo_off(handle, info, &v) == CURLE_OK ? Double(v) / 1e6 : 0
        }
        let resolved = micros(CURLINFO_NAMELOOKUP_TIME_T)
        let connected = max(resolved, micros(CURLINFO_CONNECT_TIME_T))
        let appConnected = micros(CURLINFO_APPCONNECT_TIME_T)
        let handshake = max(connected, appConnected)
        let sent = max(handshake, micros(CURLINFO_PRETRANSFER_TIME_T))
        let firstByte = max(sent, micros(CURLINFO_STARTTRANSFER_TIME_T))
        let total = max(firstByte, micros(CURLINFO_TOTAL_TIME_T))
        var t = PhaseTimings()
        t.resolve = resolved
        t.connect = connected - resolved
        t.tls = appConnected > 0 ? handshake - connected : 0
        t.processing = firstByte - sent
        t.transfer = total - firstByte
        t.total = total
        return t
    }

    static func error(_ code: CURLcode, detail: String, transfer: Transfer, limit: Int) -> HTTPClientError {
        if transfer.tooLarge { return HTTPClientError(.tooLarge, "response body larger than \(limit) bytes") }
        if transfer.cancel?.isSet == true { return HTTPClientError(.cancelled, "cancelled") }
        let generic = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_OPERATION_TIMEDOUT: return HTTPClientError(.timeout, "timed out")
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return HTTPClientError(.resolve, "host not found")
        case CURLE_COULDNT_CONNECT: return HTTPClientError(.connect, "connection refused")
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS,
             CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
             CURLE_SSL_CRL_BADFILE, CURLE_SSL_SHUTDOWN_FAILED:
            // libcurl's TLS messages name certificates and files, not the URL.
            return HTTPClientError(.tls, "TLS failure: \(detail.isEmpty ? generic : Self.printable(detail))")
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR:
            return HTTPClientError(.connect, "connection lost (\(generic))")
        case CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_BAD_CONTENT_ENCODING, CURLE_TOO_MANY_REDIRECTS,
             CURLE_PARTIAL_FILE:
            return HTTPClientError(.protocolError, "bad response (\(generic))")
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return HTTPClientError(.invalidRequest, "unsupported or malformed URL")
        default:
            return HTTPClientError(.other, "request failed (\(generic))")
        }
    }

    static func milliseconds(_ seconds: Double) -> Int {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return seconds >= 86_400_000 ? 86_400_000_000 : Int((seconds * 1000).rounded(.up))
    }

    static func isHeaderSafe(_ s: String) -> Bool {
        !s.utf8.contains { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }
    }

    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }

    /// At most 200 characters, control characters as `?`.
    static func printable(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.prefix(200).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
    }
}

/// Set from another thread to abort a transfer at its next progress callback.
final class CancelFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
}

/// What the callbacks of one transfer fill in. Used only by the thread running the transfer.
final class Transfer {
    let limit: Int
    let cancel: CancelFlag?
    /// The handle of the transfer, to read the TLS session while its connection is live.
    let handle: UnsafeMutableRawPointer?
    var body: [UInt8] = []
    var headers: [String: String] = [:]
    var tooLarge = false
    var tls: TLSSessionInfo?

    init(limit: Int, cancel: CancelFlag?, handle: UnsafeMutableRawPointer?) {
        self.limit = limit
        self.cancel = cancel
        self.handle = handle
    }

    func header(line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("HTTP/") {
            // A new response (after a redirect or a 100 Continue): keep the last one's headers
            // and TLS session (read now, while its connection is certainly open).
            headers = [:]
            tls = handle.flatMap { HTTPClient.tlsInfo($0) }
            return
        }
        guard let colon = trimmed.firstIndex(of: ":") else { return }
        let name = trimmed[..<colon].lowercased()
        // A CR, LF or NUL inside a field value is invalid; RFC 9110 §5.5 lets a recipient read
        // each as a space, so no value handed on can break a log line.
        let value = String(trimmed[trimmed.index(after: colon)...].map { $0 == "\r" || $0 == "\n" || $0 == "\0" || $0 == "\r\n" ? " " : $0 })
            .trimmingCharacters(in: .whitespaces)
        // Repeated headers join in place: joining by copying was quadratic in their number.
        if headers[name] != nil { headers[name]!.append(", " + value) } else { headers[name] = value }
    }
}

/// Sets options, remembering the first one libcurl refused.
struct Options {
    let handle: UnsafeMutableRawPointer
    var failed: CURLcode?

    init(_ handle: UnsafeMutableRawPointer) { self.handle = handle }

    private mutating func check(_ code: CURLcode) {
        if code != CURLE_OK, failed == nil { failed = code }
    }

    mutating func long(_ o: CURLoption, _ v: Int) { check(vigil_curl_setopt_long(handle, o, v)) }
    mutating func off(_ o: CURLoption, _ v: curl_off_t) { check(vigil_curl_setopt_off(handle, o, v)) }
    mutating func string(_ o: CURLoption, _ v: String) { check(vigil_curl_setopt_string(handle, o, v)) }
    mutating func string(_ o: CURLoption, _ v: UnsafePointer<CChar>) { check(vigil_curl_setopt_string(handle, o, v)) }
    mutating func pointer(_ o: CURLoption, _ v: UnsafeMutableRawPointer?) { check(vigil_curl_setopt_pointer(handle, o, v)) }
    mutating func pointer(_ o: CURLoption, _ v: OpaquePointer?) { check(vigil_curl_setopt_pointer(handle, o, UnsafeMutableRawPointer(v))) }
    mutating func slist(_ o: CURLoption, _ v: UnsafeMutablePointer<curl_slist>?) { check(vigil_curl_setopt_slist(handle, o, v)) }
    mutating func write(_ o: CURLoption, _ v: curl_write_callback) { check(vigil_curl_setopt_write(handle, o, v)) }
    mutating func xferinfo(_ v: curl_xferinfo_callback) { check(vigil_curl_setopt_xferinfo(handle, v)) }
}

/// A parsed URL (libcurl's URL API), http or https only.
struct URLHandle {
    let pointer: OpaquePointer

    init(_ text: String) throws(HTTPClientError) {
        guard let p = curl_url() else { throw HTTPClientError(.other, "libcurl could not create a URL handle") }
        guard curl_url_set(p, CURLUPART_URL, text, 0) == CURLUE_OK else {
            curl_url_cleanup(p)
            throw HTTPClientError(.invalidRequest, "malformed URL")
        }
        pointer = p
        let scheme = part(CURLUPART_SCHEME)?.lowercased()
        guard scheme == "http" || scheme == "https" else {
            curl_url_cleanup(p)
            throw HTTPClientError(.invalidRequest, "only http and https URLs are supported")
        }
    }

    func free() { curl_url_cleanup(pointer) }

    func part(_ what: CURLUPart, flags: UInt32 = 0) -> String? {
        var out: UnsafeMutablePointer<CChar>?
        guard curl_url_get(pointer, what, &out, flags) == CURLUE_OK, let out else { return nil }
        defer { curl_free(out) }
        return String(cString: out)
    }

    var explicitPort: Bool { part(CURLUPART_PORT) != nil }

    func hostAndPort() throws(HTTPClientError) -> (String, String) {
        guard let host = part(CURLUPART_HOST), let port = part(CURLUPART_PORT, flags: UInt32(CURLU_DEFAULT_PORT)) else {
            throw HTTPClientError(.invalidRequest, "URL without a host")
        }
        return (host, port)
    }

    func setHost(_ host: String) throws(HTTPClientError) {
        guard curl_url_set(pointer, CURLUPART_HOST, host, 0) == CURLUE_OK else {
            throw HTTPClientError(.invalidRequest, "server_name is not a valid host name")
        }
    }
}

// libcurl callbacks: non-capturing closures at file scope; the transfer travels as `void *`.

let curlWriteBody: curl_write_callback = { data, size, count, context in
    guard let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let n = size * count
    guard transfer.body.count + n <= transfer.limit else {
        transfer.tooLarge = true
        return 0
    }
    if let data, n > 0 {
        data.withMemoryRebound(to: UInt8.self, capacity: n) { transfer.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
    }
    return n
}

let curlWriteHeader: curl_write_callback = { data, size, count, context in
    guard let context, let data else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let n = size * count
    let line = data.withMemoryRebound(to: UInt8.self, capacity: n) { String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self) }
    transfer.header(line: line)
    return n
}

let curlProgress: curl_xferinfo_callback = { context, _, _, _, _ in
    guard let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    return transfer.cancel?.isSet == true ? 1 : 0
}
