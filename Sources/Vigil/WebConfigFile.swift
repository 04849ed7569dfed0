import Foundation
import HTTPServer
import VigilCore

/// Prometheus exporter-toolkit's web configuration file (`--web.config.file`,
/// `web.config_file`): `tls_server_config`, `basic_auth_users`, `http_server_config.headers`.
/// Read strictly and positioned like the main configuration; certificate files are loaded and
/// checked (key matches certificate, CA parses) while reading, so a bad file never replaces a
/// running one.
struct WebConfigFile: Sendable, Equatable {
    var tls: TLSConfiguration?
    /// User → bcrypt hash.
    var users: [String: String] = [:]
    /// Headers added to every response, in file order.
    var headers: [Header] = []

    struct Header: Sendable, Equatable {
        var name: String
        var value: String
    }

    /// The headers exporter-toolkit allows in `http_server_config.headers`.
    static let allowedHeaders = ["Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options",
                                 "X-XSS-Protection", "Strict-Transport-Security"]

    /// exporter-toolkit's `client_auth_type` values and what this server does with them.
    static let clientAuthTypes: [String: TLSConfiguration.ClientAuth?] = [
        "NoClientCert": TLSConfiguration.ClientAuth.none, "VerifyClientCertIfGiven": .verifyIfGiven,
        "RequireAndVerifyClientCert": .requireAndVerify,
        "RequestClientCert": nil, "RequireAnyClientCert": nil,
    ]

    static let versions: [String: Int] = ["TLS10": 0, "TLS11": 1, "TLS12": 2, "TLS13": 3]
    static let gnutlsVersions = ["VERS-TLS1.0", "VERS-TLS1.1", "VERS-TLS1.2", "VERS-TLS1.3"]

    static func load(path: String) throws(PositionedError) -> WebConfigFile {
        let text = try StrictYAMLContext.readText(path: path)
        let base = (path as NSString).deletingLastPathComponent
        let context = StrictYAMLContext(file: path, environment: [:], baseDirectory: base.isEmpty ? "." : base)
        var result = WebConfigFile()
        guard let root = try context.root(text) else { return result }
        let top = try StrictYAMLReader(root, path: "", context: context)
        if let t = try top.mapping("tls_server_config") {
            result.tls = try readTLS(t, base: base)
        }
        if let users = try top.stringMap("basic_auth_users") {
            for (user, hash, node) in users {
                guard !user.isEmpty, !user.contains(":") else {
                    throw context.error(node, top.childPath("basic_auth_users"), "a user name must be non-empty and hold no ':'")
                }
                guard BasicAuth.isBcryptHash(hash) else {
                    // Never quote the value: it may be a plaintext password pasted by mistake.
                    throw context.error(node, "basic_auth_users.\(user)", "must be a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters)")
                }
                result.users[user] = hash
            }
        }
        if let h = try top.mapping("http_server_config") {
            if let headers = try h.stringMap("headers") {
                for (name, value, node) in headers {
                    guard let canonical = allowedHeaders.first(where: { $0.lowercased() == name.lowercased() }) else {
                        throw context.error(node, "http_server_config.headers.\(name)",
                                            "not an allowed header (allowed: \(allowedHeaders.joined(separator: ", ")))")
                    }
                    guard !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
                        throw context.error(node, "http_server_config.headers.\(name)", "control characters are not allowed")
                    }
                    result.headers.append(Header(name: canonical, value: value))
                }
            }
            if h.has("http2") {
                throw context.error(h.value("http2"), "http_server_config.http2", "not supported (libmicrohttpd speaks HTTP/1.1)")
            }
            try h.finish()
        }
        try top.finish()
        return result
    }

    private static func readTLS(_ t: StrictYAMLReader, base: String) throws(PositionedError) -> TLSConfiguration {
        func file(_ key: String) throws(PositionedError) -> String? {
            guard let name = try t.string(key) else { return nil }
            let path = name.hasPrefix("/") || base.isEmpty ? name : base + "/" + name
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw t.error(key, "cannot read \(StrictYAMLReader.quote(path))")
            }
            return text
        }
        for inline in ["cert", "key"] where t.has(inline) {
            throw t.error(inline, "inline certificates are not supported; use \(inline)_file")
        }
        for key in ["cipher_suites", "curve_preferences"] where t.has(key) {
            throw t.error(key, "not supported: GnuTLS (libmicrohttpd's TLS) takes its own cipher and group names; the defaults are used")
        }
        if t.has("prefer_server_cipher_suites") { _ = try t.bool("prefer_server_cipher_suites") }
        guard let cert = try file("cert_file") else { throw t.error("cert_file", "required when tls_server_config is given") }
        guard let key = try file("key_file") else { throw t.error("key_file", "required when tls_server_config is given") }
        let ca = try file("client_ca_file")
        var mode = TLSConfiguration.ClientAuth.none
        if let type = try t.string("client_auth_type") {
            guard let known = clientAuthTypes[type] else {
                throw t.error("client_auth_type", "unknown; one of \(clientAuthTypes.keys.sorted().joined(separator: ", "))")
            }
            guard let supported = known else {
                throw t.error("client_auth_type", "not supported (certificates are only checked against client_ca_file): use VerifyClientCertIfGiven or RequireAndVerifyClientCert")
            }
            mode = supported
        }
        if mode != .none && ca == nil {
            throw t.error("client_auth_type", "\(mode == .requireAndVerify ? "RequireAndVerifyClientCert" : "VerifyClientCertIfGiven") needs client_ca_file")
        }
        func version(_ key: String) throws(PositionedError) -> Int? {
            guard let v = try t.string(key) else { return nil }
            guard let n = versions[v] else { throw t.error(key, "unknown; one of TLS10, TLS11, TLS12, TLS13") }
            return n
        }
        let low = try version("min_version") ?? versions["TLS12"]!
        let high = try version("max_version") ?? versions["TLS13"]!
        guard low <= high else { throw t.error("max_version", "is below min_version") }
        let priorities = "NORMAL:-VERS-ALL:" + (low...high).reversed().map { "+" + gnutlsVersions[$0] }.joined(separator: ":")
        try t.finish()
        let tls = TLSConfiguration(certificatePEM: cert, keyPEM: key, clientCAPEM: ca, clientAuth: mode, priorities: priorities)
        if let problem = tls.problem() {
            switch problem.part {
            case .certificateOrKey: throw t.error("key_file", "certificate and key do not load together: \(problem.message)")
            case .clientCA: throw t.error("client_ca_file", "no usable CA certificate: \(problem.message)")
            case .priorities: throw t.error("min_version", "GnuTLS refuses the version range: \(problem.message)")
            }
        }
        return tls
    }
}
