import Foundation

/// A throwaway PKI made with the `openssl` command for TLS tests: a CA, a server certificate for
/// 127.0.0.1, localhost and `vigil.test`, a client certificate signed by the same CA, and a
/// second, unrelated CA (for "wrong CA" cases). All files are PEM in `directory`.
public struct TestCertificates: Sendable {
    public let directory: String
    public var caFile: String { directory + "/ca.pem" }
    public var serverCert: String { directory + "/server.pem" }
    public var serverKey: String { directory + "/server-key.pem" }
    public var clientCert: String { directory + "/client.pem" }
    public var clientKey: String { directory + "/client-key.pem" }
    public var otherCAFile: String { directory + "/other-ca.pem" }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Makes a fresh set (about a second: four RSA-2048 keys would be slower, so P-256 keys).
    public static func make() throws -> TestCertificates {
        let dir = try TestEnvironment.temporaryDirectory().path
        let certs = TestCertificates(directory: dir)
        func openssl(_ args: [String]) throws {
            let out = try Subprocess.run("/usr/bin/openssl", args, timeout: 60)
            guard out.status == 0 else { throw Failure(description: "openssl \(args.first ?? "") failed: \(out.stderr)") }
        }
        let ext = dir + "/ext.cnf"
        try """
        [server]
        subjectAltName = IP:127.0.0.1, DNS:localhost, DNS:vigil.test
        extendedKeyUsage = serverAuth
        [client]
        extendedKeyUsage = clientAuth
        """.write(toFile: ext, atomically: true, encoding: .utf8)
        for (name, subject) in [("ca", "/CN=Vigil Test CA"), ("other-ca", "/CN=Unrelated CA")] {
            try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                         "-subj", subject, "-keyout", "\(dir)/\(name)-key.pem", "-out", "\(dir)/\(name).pem"])
        }
        for (name, section) in [("server", "server"), ("client", "client")] {
            try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=\(name)",
                         "-keyout", "\(dir)/\(name)-key.pem", "-out", "\(dir)/\(name).csr"])
            try openssl(["x509", "-req", "-in", "\(dir)/\(name).csr", "-CA", certs.caFile, "-CAkey", "\(dir)/ca-key.pem",
                         "-CAcreateserial", "-days", "2", "-extfile", ext, "-extensions", section, "-out", "\(dir)/\(name).pem"])
        }
        return certs
    }
}
