import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import HTTPClient

/// libcurl behind HTTPClient, against real HTTP and HTTPS servers on 127.0.0.1.
@Suite("HTTP client", .serialized)
struct HTTPClientTests {
    static func deadline() -> ContinuousClock.Instant { ContinuousClock.now + .seconds(20) }

    static func json(_ r: HTTPClientResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any] ?? [:]
    }

    @Test("a GET returns status, headers (lowercased, repeats joined), body and phase timings")
    func get() throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        let r = try HTTPClient.perform(HTTPClientRequest(url: server.url("/ok")), deadline: Self.deadline())
        #expect(r.status == 200)
        #expect(String(decoding: r.body, as: UTF8.self) == "ok")
        #expect(r.header("X-Test") == "one, two")
        #expect(r.header("content-type") == "text/plain")
        #expect(r.timings.total > 0)
        #expect(r.timings.total >= r.timings.connect)
        #expect(r.timings.tls == 0)
    }

    @Test("a POST sends its method, headers and body as given, without Expect: 100-continue")
    func post() throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        let body = Array(String(repeating: "payload ", count: 200).utf8)
        let request = HTTPClientRequest(method: "POST", url: server.url("/echo?x=1"),
                                        headers: [HTTPClientHeader("Content-Type", "application/json"), HTTPClientHeader("X-Team", "core")],
                                        body: body)
        let r = try HTTPClient.perform(request, deadline: Self.deadline())
        let echo = Self.json(r)
        #expect(echo["method"] as? String == "POST")
        #expect(echo["path"] as? String == "/echo?x=1")
        let headers = echo["headers"] as? [String: String] ?? [:]
        #expect(headers["x-team"] == "core")
        #expect(headers["content-type"] == "application/json")
        #expect(headers["expect"] == nil)
        #expect(echo["body"] as? String == String(decoding: body, as: UTF8.self))

        let put = try HTTPClient.perform(HTTPClientRequest(method: "PUT", url: server.url("/echo"), body: Array("x".utf8)), deadline: Self.deadline())
        #expect(Self.json(put)["method"] as? String == "PUT")
    }

    @Test("a response body over the limit fails as too_large without reading it all")
    func bodyLimit() throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        let ok = try HTTPClient.perform(HTTPClientRequest(url: server.url("/big?n=1000"), maxResponseBytes: 1000), deadline: Self.deadline())
        #expect(ok.body.count == 1000)
        #expect(throws: HTTPClientError(.tooLarge, "response body larger than 999 bytes")) {
            try HTTPClient.perform(HTTPClientRequest(url: server.url("/big?n=1000"), maxResponseBytes: 999), deadline: Self.deadline())
        }
    }

    @Test("with truncateOversizedBody, a body over the limit ends the transfer there and the answer keeps its status and headers")
    func bodyTruncated() throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        var request = HTTPClientRequest(url: server.url("/big?n=1000000"), maxResponseBytes: 4096)
        request.truncateOversizedBody = true
        let r = try HTTPClient.perform(request, deadline: Self.deadline())
        #expect(r.status == 200)
        #expect(r.bodyTruncated)
        #expect(r.body.count <= 4096)
        #expect(r.headers["content-length"] == "1000000")
        request.url = server.url("/big?n=100")
        let whole = try HTTPClient.perform(request, deadline: Self.deadline())
        #expect(!whole.bodyTruncated && whole.body.count == 100)
    }

    @Test("the request timeout and the deadline both bound a slow server, whichever is sooner")
    func timeouts() throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        let start = ContinuousClock.now
        #expect(throws: HTTPClientError(.timeout, "timed out")) {
            try HTTPClient.perform(HTTPClientRequest(url: server.url("/slow?s=10"), timeout: 0.5), deadline: Self.deadline())
        }
        #expect(throws: HTTPClientError(.timeout, "timed out")) {
            try HTTPClient.perform(HTTPClientRequest(url: server.url("/slow?s=10"), timeout: 30), deadline: ContinuousClock.now + .milliseconds(500))
        }
        // Both gave up long before the server's 10 s.
        #expect(ContinuousClock.now - start < .seconds(8))
        #expect(throws: HTTPClientError(.timeout, "timed out before the request was sent")) {
            try HTTPClient.perform(HTTPClientRequest(url: server.url("/ok")), deadline: ContinuousClock.now - .seconds(1))
        }
    }

    @Test("failures are classified and their messages never contain the URL")
    func failuresAreClassified() throws {
        let closed = try SilentListener.freePort()
        let secretURL = "http://127.0.0.1:\(closed)/services/T000/B000/SECRET-TOKEN"
        do {
            _ = try HTTPClient.perform(HTTPClientRequest(url: secretURL), deadline: Self.deadline())
            Issue.record("a closed port answered")
        } catch {
            #expect(error.kind == .connect)
            #expect(!error.message.contains("SECRET"))
            #expect(!error.message.contains("127.0.0.1"))
        }
        #expect(throws: HTTPClientError(.invalidRequest, "only http and https URLs are supported")) {
            try HTTPClient.perform(HTTPClientRequest(url: "file:///etc/passwd"), deadline: Self.deadline())
        }
        #expect(throws: HTTPClientError(.invalidRequest, "malformed URL")) {
            try HTTPClient.perform(HTTPClientRequest(url: "http://exa mple.com/"), deadline: Self.deadline())
        }
        #expect(throws: HTTPClientError(.invalidRequest, "header X-Evil holds a line break or control character")) {
            try HTTPClient.perform(HTTPClientRequest(url: "http://127.0.0.1:1/", headers: [HTTPClientHeader("X-Evil", "a\r\nInjected: 1")]),
                                   deadline: Self.deadline())
        }
    }

    @Test("redirects are followed only when asked; gzip bodies are decoded when an encoding is accepted")
    func redirectsAndEncoding() throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        let stay = try HTTPClient.perform(HTTPClientRequest(url: server.url("/redirect")), deadline: Self.deadline())
        #expect(stay.status == 302)
        let follow = try HTTPClient.perform(HTTPClientRequest(url: server.url("/redirect"), followRedirects: true), deadline: Self.deadline())
        #expect(follow.status == 200)
        #expect(follow.header("x-test") == "one, two")
        let decoded = try HTTPClient.perform(HTTPClientRequest(url: server.url("/gzip"), acceptEncoding: "gzip"), deadline: Self.deadline())
        #expect(String(decoding: decoded.body, as: UTF8.self) == String(repeating: "compressed body ", count: 100))
        let raw = try HTTPClient.perform(HTTPClientRequest(url: server.url("/gzip")), deadline: Self.deadline())
        #expect(raw.body.prefix(2) == [0x1f, 0x8b])
    }

    @Test("proxy_url sends the request through the proxy, even to a host that cannot be reached directly")
    func proxy() throws {
        let proxy = try HTTPTestServer()
        defer { proxy.stop() }
        // The test server answers absolute-form requests as a forward proxy would.
        let r = try HTTPClient.perform(HTTPClientRequest(url: "http://unreachable.invalid:9/echo", proxyURL: proxy.url("")),
                                       deadline: Self.deadline())
        #expect(r.status == 200)
        #expect(Self.json(r)["path"] as? String == "http://unreachable.invalid:9/echo")
    }

    @Test("HTTPS verifies the server against the given CA, refuses an unknown CA with a TLS error, and honours server_name")
    func tlsServerVerification() throws {
        let certs = try TestCertificates.make()
        let server = try HTTPTestServer(tls: certs)
        defer { server.stop() }
        let url = server.url("/ok", scheme: "https")
        let ok = try HTTPClient.perform(HTTPClientRequest(url: url, tls: TLSOptions(caFile: certs.caFile)), deadline: Self.deadline())
        #expect(ok.status == 200)
        #expect(ok.timings.tls > 0)
        do {
            _ = try HTTPClient.perform(HTTPClientRequest(url: url, tls: TLSOptions(caFile: certs.otherCAFile)), deadline: Self.deadline())
            Issue.record("a certificate from an unknown CA was accepted")
        } catch {
            #expect(error.kind == .tls, "\(error)")
        }
        let skipped = try HTTPClient.perform(HTTPClientRequest(url: url, tls: TLSOptions(caFile: certs.otherCAFile, insecureSkipVerify: true)),
                                             deadline: Self.deadline())
        #expect(skipped.status == 200)
        // Reached by an address the certificate does not name, verified as vigil.test.
        let byName = try HTTPClient.perform(HTTPClientRequest(url: server.url("/echo", scheme: "https"),
                                                              tls: TLSOptions(caFile: certs.caFile, serverName: "vigil.test")),
                                            deadline: Self.deadline())
        #expect(byName.status == 200)
        #expect((Self.json(byName)["headers"] as? [String: String])?["host"] == "127.0.0.1:\(server.port)")
        do {
            _ = try HTTPClient.perform(HTTPClientRequest(url: url, tls: TLSOptions(caFile: certs.caFile, serverName: "not-in-the-cert.test")),
                                       deadline: Self.deadline())
            Issue.record("a server_name the certificate does not carry was accepted")
        } catch {
            #expect(error.kind == .tls, "\(error)")
        }
        let modern = try HTTPClient.perform(HTTPClientRequest(url: url, tls: TLSOptions(caFile: certs.caFile, minVersion: .tls13)),
                                            deadline: Self.deadline())
        #expect(modern.status == 200)
    }

    @Test("a server that requires client certificates accepts ours and refuses a client without one")
    func clientCertificates() throws {
        let certs = try TestCertificates.make()
        let server = try HTTPTestServer(tls: certs, requireClientCertificate: true)
        defer { server.stop() }
        let url = server.url("/echo", scheme: "https")
        let withCert = try HTTPClient.perform(
            HTTPClientRequest(url: url, tls: TLSOptions(caFile: certs.caFile, certFile: certs.clientCert, keyFile: certs.clientKey)),
            deadline: Self.deadline())
        #expect(withCert.status == 200)
        #expect(Self.json(withCert)["client_cert"] as? Bool == true)
        do {
            _ = try HTTPClient.perform(HTTPClientRequest(url: url, tls: TLSOptions(caFile: certs.caFile)), deadline: Self.deadline())
            Issue.record("the server accepted a client without a certificate")
        } catch {
            #expect([.tls, .connect].contains(error.kind), "\(error)")
        }
    }

    @Test("the async face runs off the concurrency pool, in parallel, and a cancelled task aborts its transfer")
    func asyncFace() async throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        // Four 2 s requests at once finish together (one after another would take 8 s): they
        // block dedicated threads, not the two-thread pool.
        let slow = server.url("/slow?s=2"), slower = server.url("/slow?s=10")
        let start = ContinuousClock.now
        let results = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask { (try? await HTTPClient.send(HTTPClientRequest(url: slow)).get().status) ?? 0 }
            }
            var out: [Int] = []
            for await s in group { out.append(s) }
            return out
        }
        #expect(results == [200, 200, 200, 200])
        #expect(ContinuousClock.now - start < .seconds(6))

        let task = Task { await HTTPClient.send(HTTPClientRequest(url: slower, timeout: 30)) }
        try await Task.sleep(for: .milliseconds(300))
        let cancelledAt = ContinuousClock.now
        task.cancel()
        let result = await task.value
        #expect(ContinuousClock.now - cancelledAt < .seconds(5))
        if case .failure(let e) = result { #expect(e.kind == .cancelled) } else { Issue.record("the cancelled request succeeded") }
    }
}
