/// TLS settings of one client connection, as Prometheus' `tls_config` names them: used by
/// HTTPClient (libcurl) for requests and by TLSStream (OpenSSL) for Redis over TLS.
public struct TLSOptions: Sendable, Hashable {
    /// PEM bundle of the CAs that may sign the server's certificate (nil: the system store).
    public var caFile: String?
    /// Client certificate and key (PEM) for servers that ask for one.
    public var certFile: String?
    public var keyFile: String?
    /// The name the server's certificate must carry and the SNI sent, instead of the URL's host.
    public var serverName: String?
    /// Accepts any certificate. For tests and emergencies only.
    public var insecureSkipVerify: Bool
    /// The oldest protocol version accepted (nil: the TLS library's default, TLS 1.2 on Debian 12).
    public var minVersion: TLSVersion?

    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, serverName: String? = nil,
                insecureSkipVerify: Bool = false, minVersion: TLSVersion? = nil) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.serverName = serverName
        self.insecureSkipVerify = insecureSkipVerify
        self.minVersion = minVersion
    }
}

/// `min_version` values as Prometheus spells them.
public enum TLSVersion: String, Sendable, Hashable, CaseIterable {
    case tls10 = "TLS10", tls11 = "TLS11", tls12 = "TLS12", tls13 = "TLS13"
}

extension TLSOptions {
    /// `tls_config: {…}` as `check-config` prints it (file names, never their contents).
    public var rendered: String {
        let q = TargetList.quoted
        var parts: [String] = []
        if let v = caFile { parts.append("ca_file: \(q(v))") }
        if let v = certFile { parts.append("cert_file: \(q(v))") }
        if let v = keyFile { parts.append("key_file: \(q(v))") }
        if let v = serverName { parts.append("server_name: \(q(v))") }
        parts.append("insecure_skip_verify: \(insecureSkipVerify)")
        if let v = minVersion { parts.append("min_version: \(v.rawValue)") }
        return "tls_config: {\(parts.joined(separator: ", "))}"
    }
}
