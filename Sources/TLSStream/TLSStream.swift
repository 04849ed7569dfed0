#if canImport(Glibc)
import Glibc
#endif
import COpenSSL
public import VigilCore

/// A TLS client connection over TCP, owned by one thread: connect, handshake and verify,
/// then read and write, every step bounded by a deadline. The only importer of COpenSSL for
/// connections of its own (libcurl's OpenSSL session is read inside CCurl's shim); no C pointer
/// leaves this file.
///
/// OpenSSL never touches the socket: it works on two memory BIOs and this type moves the bytes
/// with non-blocking `send(MSG_NOSIGNAL)`/`recv` and `poll` up to the deadline. So a peer that
/// closes cannot raise SIGPIPE, and no call blocks past the deadline.
public final class TLSStream {
    private var fd: Int32
    private var ctx: OpaquePointer?
    private var ssl: OpaquePointer?
    /// Bytes from the network into OpenSSL, and OpenSSL's output to the network (owned by `ssl`).
    private var rbio: OpaquePointer?
    private var wbio: OpaquePointer?
    /// The negotiated protocol, OpenSSL's spelling (`TLSv1.3`).
    public private(set) var protocolVersion = ""

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit { close() }

    /// Connects to `host:port`, runs the handshake and verifies the server's certificate
    /// (unless `settings.insecureSkipVerify`) against `settings.serverName ?? host`.
    public static func connect(host: String, port: Int, settings: TLSOptions,
                               deadline: ContinuousClock.Instant) throws(TLSStreamError) -> TLSStream {
        let fd = try Socket.connect(host: host, port: port, deadline: deadline)
        let s = TLSStream(fd: fd)
        try s.setUp(host: host, settings: settings)
        do {
            _ = try s.drive(deadline, handshake: true) { SSL_connect($0) }
        } catch {
            s.close()
            throw error
        }
        if let v = SSL_get_version(s.ssl) { s.protocolVersion = String(cString: v) }
        return s
    }

    private func setUp(host: String, settings: TLSOptions) throws(TLSStreamError) {
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(TLS_client_method()) else {
            throw TLSStreamError(.handshake, "cannot create a TLS context: \(Self.errors())")
        }
        self.ctx = ctx
        vigil_ssl_ctx_refuse_passphrases(ctx)
        _ = vigil_ssl_ctx_set_partial_writes(ctx)
        if let v = settings.minVersion {
            _ = vigil_ssl_ctx_set_min_version(ctx, v.openSSL)
        }
        if settings.insecureSkipVerify {
            SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nil)
        } else {
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
            if let ca = settings.caFile {
                guard SSL_CTX_load_verify_locations(ctx, ca, nil) == 1 else {
                    throw TLSStreamError(.handshake, "cannot load the CA file \(ca): \(Self.errors())")
                }
            } else if SSL_CTX_set_default_verify_paths(ctx) != 1 {
                throw TLSStreamError(.handshake, "cannot load the system CA store: \(Self.errors())")
            }
        }
        if let cert = settings.certFile, let key = settings.keyFile {
            guard SSL_CTX_use_certificate_chain_file(ctx, cert) == 1 else {
                throw TLSStreamError(.handshake, "cannot load the client certificate \(cert): \(Self.errors())")
            }
            guard SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1 else {
                throw TLSStreamError(.handshake, "cannot load the client key \(key) (a passphrase-protected key is not supported): \(Self.errors())")
            }
            guard SSL_CTX_check_private_key(ctx) == 1 else {
                throw TLSStreamError(.handshake, "the client key \(key) does not belong to the certificate \(cert)")
            }
        }
        guard let ssl = SSL_new(ctx), let rbio = BIO_new(BIO_s_mem()), let wbio = BIO_new(BIO_s_mem()) else {
            throw TLSStreamError(.handshake, "cannot create a TLS session: \(Self.errors())")
        }
        self.ssl = ssl
        _ = vigil_bio_set_mem_eof_retry(rbio)
        SSL_set_bio(ssl, rbio, wbio)
        self.rbio = rbio
        self.wbio = wbio
        SSL_set_connect_state(ssl)

        let name = settings.serverName ?? host
        if Socket.isIPAddress(name) {
            // No SNI for an address (RFC 6066); the certificate must carry it as an IP SAN.
            if !settings.insecureSkipVerify, X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) != 1 {
                throw TLSStreamError(.handshake, "cannot verify against the address \(name)")
            }
        } else {
            _ = vigil_ssl_set_sni(ssl, name)
            if !settings.insecureSkipVerify, SSL_set1_host(ssl, name) != 1 {
                throw TLSStreamError(.handshake, "cannot verify against the name \(name)")
            }
        }
    }

    /// Sends all of `bytes` before `deadline`.
    public func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(TLSStreamError) {
        guard ssl != nil else { throw TLSStreamError(.closed, "the TLS connection is closed") }
        var offset = 0
        // Each pass writes at least one byte or throws (timeout, error): bounded by the deadline.
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { buf -> Result<Int32, TLSStreamError> in
                let base = buf.baseAddress! + offset
                let count = Int32(min(buf.count - offset, 1 << 20))
                return Result { () throws(TLSStreamError) in try drive(deadline, handshake: false) { SSL_write($0, base, count) } }
            }
            offset += Int(try n.get())
        }
    }

    /// Returns at least one byte (at most `maxBytes`) before `deadline`; throws `.closed` at
    /// the end of the stream.
    public func read(maxBytes: Int = 16 << 10, deadline: ContinuousClock.Instant) throws(TLSStreamError) -> [UInt8] {
        guard ssl != nil else { throw TLSStreamError(.closed, "the TLS connection is closed") }
        var chunk = [UInt8](repeating: 0, count: max(1, maxBytes))
        let n = chunk.withUnsafeMutableBytes { buf -> Result<Int32, TLSStreamError> in
            let base = buf.baseAddress!
            let count = Int32(min(buf.count, Int(Int32.max)))
            return Result { () throws(TLSStreamError) in try drive(deadline, handshake: false) { SSL_read($0, base, count) } }
        }
        return Array(chunk[..<Int(try n.get())])
    }

    /// Sends close_notify if it fits in the socket buffer now, then releases everything.
    public func close() {
        if let ssl {
            ERR_clear_error()
            _ = SSL_shutdown(ssl)
            _ = try? flush(deadline: .now)
            SSL_free(ssl)  // frees both BIOs
        }
        ssl = nil
        rbio = nil
        wbio = nil
        if let ctx { SSL_CTX_free(ctx) }
        ctx = nil
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    // MARK: - Moving bytes

    /// Runs `op` until it succeeds, moving bytes between the BIOs and the socket as OpenSSL
    /// asks. Every pass either finishes, throws, or waits on the socket no later than `deadline`.
    private func drive(_ deadline: ContinuousClock.Instant, handshake: Bool,
                       _ op: (OpaquePointer) -> Int32) throws(TLSStreamError) -> Int32 {
        guard let ssl else { throw TLSStreamError(.closed, "the TLS connection is closed") }
        while true {
            ERR_clear_error()
            let r = op(ssl)
            let code = r > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, r)
            do {
                // Whatever OpenSSL produced (handshake records, data, alerts) goes out first.
                try flush(deadline: deadline)
                if code == SSL_ERROR_WANT_READ { try fill(deadline: deadline, handshake: handshake) }
            } catch where error.kind == .io || error.kind == .closed {
                throw explained(error)
            }
            switch code {
            case SSL_ERROR_NONE:
                return r
            case SSL_ERROR_WANT_READ:
                continue
            case SSL_ERROR_WANT_WRITE:
                continue  // the memory BIO was drained above
            case SSL_ERROR_ZERO_RETURN:
                throw TLSStreamError(.closed, "the server closed the TLS session")
            default:
                throw failure(handshake: handshake)
            }
        }
    }

    /// A connection that broke may still hold the server's last TLS record (in TLS 1.3 a
    /// refused client certificate is only reported after the client's handshake is done):
    /// reads what is left without waiting and adds the alert OpenSSL finds in it.
    private func explained(_ e: TLSStreamError) -> TLSStreamError {
        guard let ssl, let rbio else { return e }
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        // At most four chunks, none waited for.
        for _ in 0..<4 {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            guard n > 0 else { break }
            _ = chunk.withUnsafeBytes { BIO_write(rbio, $0.baseAddress, Int32(n)) }
        }
        ERR_clear_error()
        var scratch = [UInt8](repeating: 0, count: 1024)
        let r = scratch.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
        if r <= 0, SSL_get_error(ssl, r) == SSL_ERROR_SSL {
            return TLSStreamError(e.kind, "\(e.message); the server's TLS alert: \(Self.errors())")
        }
        return e
    }

    private func failure(handshake: Bool) -> TLSStreamError {
        if handshake, let ssl {
            let result = SSL_get_verify_result(ssl)
            if result != X509_V_OK {
                let text = X509_verify_cert_error_string(result).map { String(cString: $0) } ?? "error \(result)"
                return TLSStreamError(.verify, "the server's certificate was not accepted: \(text)")
            }
        }
        let text = Self.errors()
        return TLSStreamError(handshake ? .handshake : .io, handshake ? "TLS handshake failed: \(text)" : "TLS error: \(text)")
    }

    /// Sends what OpenSSL has written to the memory BIO.
    private func flush(deadline: ContinuousClock.Instant) throws(TLSStreamError) {
        guard let wbio else { return }
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while BIO_ctrl_pending(wbio) > 0 {
            let n = chunk.withUnsafeMutableBytes { BIO_read(wbio, $0.baseAddress, Int32($0.count)) }
            guard n > 0 else { return }
            try Socket.sendAll(fd, chunk[..<Int(n)], deadline: deadline)
        }
    }

    /// Waits for bytes from the server and hands them to OpenSSL.
    private func fill(deadline: ContinuousClock.Instant, handshake: Bool) throws(TLSStreamError) {
        guard let rbio else { throw TLSStreamError(.closed, "the TLS connection is closed") }
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        let n = try Socket.receive(fd, into: &chunk, deadline: deadline)
        guard n > 0 else {
            throw TLSStreamError(.closed, handshake
                ? "the server closed the connection during the TLS handshake (does it speak TLS on this port, or does it want a client certificate?)"
                : "the server closed the connection")
        }
        let written = chunk.withUnsafeBytes { BIO_write(rbio, $0.baseAddress, Int32(n)) }
        guard written == Int32(n) else { throw TLSStreamError(.io, "TLS buffer error: \(Self.errors())") }
    }

    /// OpenSSL's queued errors, reasons only (no file names or line numbers of OpenSSL itself).
    static func errors() -> String {
        var parts: [String] = []
        for _ in 0..<8 {
            let e = ERR_get_error()
            if e == 0 { break }
            if let r = ERR_reason_error_string(e) {
                parts.append(String(cString: r))
            } else {
                var buf = [CChar](repeating: 0, count: 256)
                ERR_error_string_n(e, &buf, buf.count)
                parts.append(String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
        }
        return parts.isEmpty ? "unknown TLS error" : parts.joined(separator: "; ")
    }
}

extension TLSVersion {
    var openSSL: Int32 {
        switch self {
        case .tls10: return TLS1_VERSION
        case .tls11: return TLS1_1_VERSION
        case .tls12: return TLS1_2_VERSION
        case .tls13: return TLS1_3_VERSION
        }
    }
}

/// A failed TLS connection or transfer. Messages name files and hosts, never key material.
public struct TLSStreamError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// TCP connection refused, unreachable, or the name did not resolve.
        case connect
        /// The deadline passed.
        case timeout
        /// The handshake failed (protocol, client certificate refused, bad local files).
        case handshake
        /// The server's certificate was not accepted (unknown CA, wrong name, expired).
        case verify
        /// A read or write failed after the handshake.
        case io
        /// The peer closed the connection.
        case closed
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
