import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import HTTPClient

@Suite("HTTP client: session facts for probes", .serialized)
struct HTTPClientSessionInfoTests {
    static func deadline() -> ContinuousClock.Instant { ContinuousClock.now + .seconds(20) }

    @Test("a response tells its HTTP version, redirects followed, address, content length; HTTPS its TLS session")
    func facts() throws {
        let certs = try TestCertificates.make()
        let http = try HTTPTestServer()
        defer { http.stop() }
        let r = try HTTPClient.perform(HTTPClientRequest(url: http.url("/redirect"), followRedirects: true, ipResolve: .v4), deadline: Self.deadline())
        #expect(r.status == 200 && r.redirects == 1 && r.httpVersion == "HTTP/1.1")
        #expect(r.primaryIP == "127.0.0.1" && r.contentLength == 2 && r.tls == nil)
        let https = try HTTPTestServer(tls: certs)
        defer { https.stop() }
        let s = try HTTPClient.perform(HTTPClientRequest(url: https.url("/ok", scheme: "https"), tls: TLSOptions(caFile: certs.caFile)), deadline: Self.deadline())
        let tls = try #require(s.tls)
        #expect(tls.goName == "TLS 1.3" || tls.goName == "TLS 1.2")
        let expiry = try #require(tls.earliestPeerExpiry)
        #expect(abs(expiry - (Date().timeIntervalSince1970 + 2 * 86_400)) < 3600)
        #expect(try #require(tls.verifiedChainExpiry) <= expiry)
    }

    @Test("a connect-only stream sends and reads lines, over TLS with the session's facts")
    func stream() throws {
        let certs = try TestCertificates.make()
        let https = try HTTPTestServer(tls: certs)
        defer { https.stop() }
        let s = try HTTPClient.connect(host: "127.0.0.1", port: https.port, tls: TLSOptions(caFile: certs.caFile), deadline: Self.deadline())
        defer { s.close() }
        #expect(s.tls?.earliestPeerExpiry != nil)
        try s.send(Array("GET /ok HTTP/1.0\r\n\r\n".utf8), deadline: Self.deadline())
        let line = try #require(try s.readLine(deadline: Self.deadline()))
        #expect(String(decoding: line, as: UTF8.self) == "HTTP/1.1 200 OK" || String(decoding: line, as: UTF8.self) == "HTTP/1.0 200 OK")
        #expect(throws: HTTPClientError.self) {
            try HTTPClient.connect(host: "127.0.0.1", port: https.port, tls: TLSOptions(caFile: certs.otherCAFile), deadline: Self.deadline())
        }
    }
}
