import CMicroHTTPD

/// HTTPS for an `HTTPServer`: libmicrohttpd's GnuTLS with the certificate chain and key given
/// as PEM text, an optional trust list for client certificates and a GnuTLS priority string.
/// Fixed when the server starts.
public struct TLSConfiguration: Sendable, Equatable {
    /// What a client has to show.
    public enum ClientAuth: String, Sendable, Equatable {
        /// No client certificate is asked for.
        case none
        /// A client certificate is asked for; one that is sent must verify against the trust list.
        case verifyIfGiven
        /// A client certificate verifying against the trust list is required.
        case requireAndVerify
    }

    public var certificatePEM: String
    public var keyPEM: String
    /// PEM certificates client certificates must chain to (needed for `verifyIfGiven` and `requireAndVerify`).
    public var clientCAPEM: String?
    public var clientAuth: ClientAuth
    /// A GnuTLS priority string, e.g. `NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2`; nil for GnuTLS' default.
    public var priorities: String?

    public init(certificatePEM: String, keyPEM: String, clientCAPEM: String? = nil,
                clientAuth: ClientAuth = .none, priorities: String? = nil) {
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
        self.clientCAPEM = clientCAPEM
        self.clientAuth = clientAuth
        self.priorities = priorities
    }

    /// What is wrong with a configuration, as GnuTLS words it (never quoting the key).
    public struct Problem: Error, Sendable, Equatable {
        public enum Part: Sendable, Equatable { case certificateOrKey, clientCA, priorities }
        public let part: Part
        public let message: String
    }

    /// Loads the credentials the way the server will, so a bad pair is refused before a
    /// server (or a reload) depends on it. Returns nil when usable.
    public func problem() -> Problem? {
        var which: Int32 = 0
        let result: UnsafePointer<CChar>? = certificatePEM.withCString { cert in
            keyPEM.withCString { key in
                withOptionalCString(clientCAPEM) { trust in
                    withOptionalCString(priorities) { prio in
                        vigil_tls_check(cert, key, trust, prio, &which)
                    }
                }
            }
        }
        guard let result else { return nil }
        let part: Problem.Part = switch which {
        case 2: .clientCA
        case 3: .priorities
        default: .certificateOrKey
        }
        return Problem(part: part, message: String(cString: result))
    }
}

/// Calls `body` with a C string for `s`, or NULL.
func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let s else { return body(nil) }
    return s.withCString { body($0) }
}
