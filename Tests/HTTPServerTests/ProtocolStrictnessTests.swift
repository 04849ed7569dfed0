import VigilTestSupport
import Testing
@testable import HTTPServer

/// Methods are case-sensitive; control characters never reach a route, raw or percent-encoded.
@Suite("HTTPServer protocol strictness")
struct ProtocolStrictnessTests {
    static func ask(_ server: HTTPServer, _ requestLine: String) throws -> HTTPTestClient.Response {
        try fetch(port: server.port, requestLine + "\r\nHost: x\r\nConnection: close\r\n\r\n")
    }

    @Test("a method that is not spelled as RFC 9110 spells it (get, Get, FOO) is 501 before routing; a standard one on the wrong path is 405")
    func methods() throws {
        let server = try HTTPServerIntegrationTests.makeServer()
        defer { server.stop() }
        for line in ["get /metrics HTTP/1.1", "Get /metrics HTTP/1.1", "head /metrics HTTP/1.1", "FOO /metrics HTTP/1.1", "post /echo HTTP/1.1"] {
            let r = try Self.ask(server, line)
            #expect(r.status == 501, "\(line)")
            #expect(r.headers["connection"] == "close", "\(line)")
        }
        #expect(try Self.ask(server, "DELETE /metrics HTTP/1.1").status == 405)
        #expect(try Self.ask(server, "OPTIONS /metrics HTTP/1.1").status == 405)
        #expect(try Self.ask(server, "GET /metrics HTTP/1.1").status == 200)
        HTTPServerIntegrationTests.expectNoLiveRequests(server)
    }

    @Test("a path holding a control character is 400, never the route: %00 (which would cut the decoded path short), %0a, %1F, %7f, a raw one")
    func controlCharacters() throws {
        let server = try HTTPServerIntegrationTests.makeServer()
        defer { server.stop() }
        for path in ["/metrics%00", "/metrics%00.txt", "/met%00rics", "/metrics%0a", "/metrics%0D%0AX:%20y", "/metrics%1F", "/metrics%7f", "/metrics\u{01}", "/metrics\u{7F}"] {
            let r = try Self.ask(server, "GET \(path) HTTP/1.1")
            #expect(r.status == 400, "\(path.debugDescription)")
        }
        // A raw NUL ends the request target where libmicrohttpd reads it: not found, never /metrics.
        let raw = try fetch(port: server.port, "GET /metrics\u{00}x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(raw.status != 200)
        // Escapes that are not control characters still work, and a query may hold anything.
        #expect(try Self.ask(server, "GET /%6detrics HTTP/1.1").status == 200)
        let info = try Self.ask(server, "GET /info?x=a%00b&y=%0a HTTP/1.1")
        #expect(info.status == 200)
        HTTPServerIntegrationTests.expectNoLiveRequests(server)
    }

    @Test("query values are binary-safe: %00 stays in the value instead of ending it")
    func binarySafeQuery() throws {
        var router = Router()
        router.get("/q") { request in
            .text((request.query["x"] ?? "-").unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " "))
        }
        let server = try HTTPServer(listenAddress: "127.0.0.1:0", reply: router.handler)
        defer { server.stop() }
        let r = try Self.ask(server, "GET /q?x=a%00b HTTP/1.1")
        #expect(r.text == "61 0 62")
    }
}
