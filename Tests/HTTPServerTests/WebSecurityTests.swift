import Foundation
@testable import HTTPServer
import Testing
import VigilTestSupport

/// HTTPS, client certificates and basic auth over real sockets, checked with curl.
@Suite(.serialized) struct WebSecurityTests {
    /// bcrypt (cost 4) of "s3cret".
    static let hash = "$2b$04$4h4UqfIor2k1xPOXomdzVeHY7eHkovwEHGGZxj5Sw2kS46j0NxezK"

    static func tls(_ certs: TestCertificates, _ mode: TLSConfiguration.ClientAuth = .none) throws -> TLSConfiguration {
        TLSConfiguration(certificatePEM: try String(contentsOfFile: certs.serverCert, encoding: .utf8),
                         keyPEM: try String(contentsOfFile: certs.serverKey, encoding: .utf8),
                         clientCAPEM: mode == .none ? nil : try String(contentsOfFile: certs.caFile, encoding: .utf8),
                         clientAuth: mode)
    }

    /// curl's status code ("000" when no HTTP answer came) and its exit status.
    static func curl(_ args: [String]) throws -> (code: String, exit: Int32) {
        let out = try Subprocess.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10"] + args, timeout: 20)
        return (out.stdout, out.status)
    }

    @Test func servesHTTPSThatCurlVerifiesWithTheTestCA() throws {
        let certs = try TestCertificates.make()
        let server = try HTTPServer(listenAddress: "127.0.0.1:0", tls: try Self.tls(certs)) { _ in .text("hello\n") }
        defer { server.stop() }
        #expect(server.isTLS)
        #expect(try Self.curl(["--cacert", certs.caFile, "https://127.0.0.1:\(server.port)/"]).code == "200")
        // Another CA does not vouch for it; plain HTTP gets no answer.
        #expect(try Self.curl(["--cacert", certs.otherCAFile, "https://127.0.0.1:\(server.port)/"]).code == "000")
        #expect(try Self.curl(["http://127.0.0.1:\(server.port)/"]).code != "200")
    }

    @Test func minimumVersionFromThePriorityStringRefusesOlderClients() throws {
        let certs = try TestCertificates.make()
        var tls = try Self.tls(certs)
        tls.priorities = "NORMAL:-VERS-ALL:+VERS-TLS1.3"
        let server = try HTTPServer(listenAddress: "127.0.0.1:0", tls: tls) { _ in .text("hello\n") }
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port)/"
        #expect(try Self.curl(["--cacert", certs.caFile, "--tlsv1.3", url]).code == "200")
        #expect(try Self.curl(["--cacert", certs.caFile, "--tlsv1.2", "--tls-max", "1.2", url]).code == "000")
    }

    @Test func requiredClientCertificateIsAcceptedWhenTrustedAndRefusedOtherwise() throws {
        let certs = try TestCertificates.make()
        let server = try HTTPServer(listenAddress: "127.0.0.1:0", tls: try Self.tls(certs, .requireAndVerify)) { _ in .text("hello\n") }
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port)/"
        #expect(try Self.curl(["--cacert", certs.caFile, "--cert", certs.clientCert, "--key", certs.clientKey, url]).code == "200")
        #expect(try Self.curl(["--cacert", certs.caFile, url]).code == "403")
        // A certificate signed by an unrelated CA (the server's own key pair under another CA's name is not it):
        // the "other" CA's self-signed certificate is not trusted.
        let otherKey = certs.directory + "/other-ca-key.pem"
        #expect(try Self.curl(["--cacert", certs.caFile, "--cert", certs.otherCAFile, "--key", otherKey, url]).code == "403")
    }

    @Test func verifyIfGivenLetsClientsWithoutCertificateThrough() throws {
        let certs = try TestCertificates.make()
        let server = try HTTPServer(listenAddress: "127.0.0.1:0", tls: try Self.tls(certs, .verifyIfGiven)) { _ in .text("hello\n") }
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port)/"
        #expect(try Self.curl(["--cacert", certs.caFile, url]).code == "200")
        let otherKey = certs.directory + "/other-ca-key.pem"
        #expect(try Self.curl(["--cacert", certs.caFile, "--cert", certs.otherCAFile, "--key", otherKey, url]).code == "403")
    }

    @Test func aKeyThatDoesNotMatchTheCertificateIsRefusedBeforeStarting() throws {
        let certs = try TestCertificates.make()
        var tls = try Self.tls(certs)
        tls.keyPEM = try String(contentsOfFile: certs.clientKey, encoding: .utf8)
        #expect(tls.problem()?.part == .certificateOrKey)
        #expect(throws: HTTPServerError.self) { try HTTPServer(listenAddress: "127.0.0.1:0", tls: tls) { _ in .text("x") } }
        var garbage = try Self.tls(certs)
        garbage.clientCAPEM = "not a certificate"
        #expect(garbage.problem()?.part == .clientCA)
    }

    @Test func basicAuthAnswersRightWrongAndMissingCredentials() throws {
        let auth = BasicAuth(realm: "Vigil")
        defer { auth.shutdown() }
        let users = ["prom": Self.hash]
        let server = try HTTPServer(listenAddress: "127.0.0.1:0", reply: { request in
            auth.authorize(request, users: users) { _ in .now(.text("metrics\n")) }
        })
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/metrics"
        #expect(try Self.curl(["-u", "prom:s3cret", url]).code == "200")
        // Second time from the cache.
        #expect(try Self.curl(["-u", "prom:s3cret", url]).code == "200")
        #expect(try Self.curl(["-u", "prom:wrong", url]).code == "401")
        #expect(try Self.curl(["-u", "nobody:s3cret", url]).code == "401")
        #expect(try Self.curl([url]).code == "401")
        let headers = try Subprocess.run("/usr/bin/curl", ["-s", "-D", "-", "-o", "/dev/null", url], timeout: 20).stdout
        #expect(headers.lowercased().contains("www-authenticate: basic realm=\"vigil\""))
    }

    @Test func credentialsAreHashedOffTheHTTPThreadFirstAndCheckedInlineOnceVerified() throws {
        let auth = BasicAuth()
        defer { auth.shutdown() }
        let users = ["prom": Self.hash]
        let request = HTTPRequest(method: "GET", path: "/metrics", headers: ["Authorization": "Basic cHJvbTpzM2NyZXQ="])
        // Not verified yet: deferred (bcrypt must not run on libmicrohttpd's thread).
        #expect(auth.authorize(request, users: users) { _ in .now(.text("ok")) }.response == nil)
        let server = try HTTPServer(listenAddress: "127.0.0.1:0", reply: { auth.authorize($0, users: users) { _ in .now(.text("ok\n")) } })
        defer { server.stop() }
        #expect(try Self.curl(["-u", "prom:s3cret", "http://127.0.0.1:\(server.port)/"]).code == "200")
        // Verified once: answered at once from the cache.
        #expect(auth.authorize(request, users: users) { _ in .now(.text("ok")) }.response?.status == 200)
        // A changed hash for the user is a different cache entry: deferred again.
        let other = ["prom": "$2b$10$fJhxVSK1in0DiofEpKx3EOTiCoC6bRalHmXj9mOlSIFXNqDOQBz1K"]
        #expect(auth.authorize(request, users: other) { _ in .now(.text("ok")) }.response == nil)
    }

    @Test func malformedAuthorizationHeadersAreRefusedNotCrashed() {
        for header in ["Basic", "Basic !!!!", "Bearer abc", "Basic cHJvbQ==", "Basic =", "Basic " + String(repeating: "A", count: 5)] {
            #expect(BasicAuth.credentials(header) == nil, "\(header)")
        }
        #expect(BasicAuth.credentials("basic cHJvbTpzM2NyZXQ=")?.0 == "prom")
        #expect(BasicAuth.isBcryptHash(Self.hash))
        #expect(!BasicAuth.isBcryptHash("$1$abc$def"))
        #expect(!BasicAuth.verify(Array("s3c\u{0}ret".utf8), against: Self.hash))
    }
}
