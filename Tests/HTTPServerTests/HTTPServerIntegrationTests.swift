#if canImport(Glibc)
import VigilTestSupport
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization
import Testing
@testable import HTTPServer

/// Real libmicrohttpd servers on 127.0.0.1 port 0, driven by raw sockets.
@Suite("HTTPServer over the wire")
struct HTTPServerIntegrationTests {
    static let metricsBody = "# HELP up test\n# TYPE up gauge\nup 1\n"

    /// The router the tests serve: GET /metrics, POST /echo, GET /info (reflects the request).
    static func makeRouter() -> Router {
        var router = Router()
        router.get("/metrics") { _ in
            .bytes(
                Array(metricsBody.utf8),
                contentType: "text/plain; version=0.0.4; charset=utf-8",
                headers: [("Vary", "Accept-Encoding"), ("X-Test", "yes")]
            )
        }
        router.add("/echo", methods: ["POST"]) { request in
            .bytes(request.body, contentType: "application/octet-stream")
        }
        router.get("/info") { request in
            let query = request.query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
            return .text("method=\(request.method) path=\(request.path) query=\(query) accept=\(request.header("Accept") ?? "-")")
        }
        router.get("/big") { _ in
            .bytes((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }, contentType: "application/octet-stream")
        }
        router.get("/weird") { _ in
            HTTPResponse(
                status: 42,
                headers: [("X-Injected", "a\r\nSet-Cookie: evil=1"), ("Content-Length", "999"), ("X-Fine", "ok")],
                body: Array("weird".utf8)
            )
        }
        return router
    }

    static func makeServer(
        timeout: Int = 10,
        limit: Int = 64,
        maxBody: Int = 1024,
        address: String = "127.0.0.1:0",
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(HTTPServerError) -> HTTPServer {
        try HTTPServer(
            listenAddress: address,
            connectionLimit: limit,
            connectionTimeoutSeconds: timeout,
            maxBodyBytes: maxBody,
            log: log,
            reply: makeRouter().handler
        )
    }

    /// Waits (bounded) until every request state has been released.
    static func expectNoLiveRequests(_ server: HTTPServer, sourceLocation: SourceLocation = #_sourceLocation) {
        for _ in 0..<200 where server.requestStatesInFlight != 0 { usleep(10_000) }
        #expect(server.requestStatesInFlight == 0, sourceLocation: sourceLocation)
    }

    @Test("GET returns the body and every header the handler set")
    func get() throws {
        let server = try Self.makeServer()
        defer { server.stop() }
        #expect(server.port > 0)
        let r = try fetch(port: server.port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(r.status == 200)
        #expect(r.text == Self.metricsBody)
        #expect(r.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(r.headers["vary"] == "Accept-Encoding")
        #expect(r.headers["x-test"] == "yes")
        #expect(r.headers["content-length"] == String(Self.metricsBody.utf8.count))
        Self.expectNoLiveRequests(server)
    }

    @Test("a multi-megabyte body arrives whole, and HEAD reports its length")
    func bigBody() throws {
        let server = try Self.makeServer()
        defer { server.stop() }
        let r = try fetch(port: server.port, "GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(r.status == 200)
        #expect(r.body.count == 3 << 20)
        #expect(r.body == (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let head = try fetch(port: server.port, "HEAD /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(head.headers["content-length"] == String(3 << 20))
        #expect(head.body.isEmpty)
    }

    @Test("a shared body is sent whole, without a copy, to every request, and freed once the last response is done")
    func sharedBody() throws {
        let bytes = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        weak var watched: SharedBody?
        do {
            let shared = SharedBody(bytes)
            watched = shared
            var router = Router()
            router.get("/shared") { _ in HTTPResponse(status: 200, headers: [("Content-Type", "application/octet-stream")], shared: shared) }
            let server = try HTTPServer(listenAddress: "127.0.0.1:0", connectionLimit: 16, connectionTimeoutSeconds: 10,
                                        maxBodyBytes: 1024, log: { _ in }, reply: router.handler)
            defer { server.stop() }
            for _ in 0..<3 {
                let r = try fetch(port: server.port, "GET /shared HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                #expect(r.status == 200)
                #expect(r.body == bytes)
            }
            let head = try fetch(port: server.port, "HEAD /shared HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(head.headers["content-length"] == String(1 << 20))
            #expect(head.body.isEmpty)
            #expect(HTTPResponse(status: 200, shared: shared).body == bytes)
            Self.expectNoLiveRequests(server)
        }
        // Every retain a queued response took was given back: nothing holds the bytes.
        #expect(watched == nil)
        #expect(SharedBody([]).bytes.isEmpty)
    }

    @Test("a shared body's kept response serves only requests with its status, headers and the server's current headers")
    func sharedBodyKeptResponse() throws {
        let bytes = Array("shared bytes\n".utf8)
        let shared = SharedBody(bytes)
        var router = Router()
        router.get("/shared") { request in
            let variant = request.query["v"] ?? "a"
            return HTTPResponse(status: request.query["s"].flatMap { Int($0) } ?? 200,
                                headers: [("Content-Type", "text/plain"), ("X-Variant", variant)], shared: shared)
        }
        func start() throws -> HTTPServer {
            try HTTPServer(listenAddress: "127.0.0.1:0", connectionLimit: 16, connectionTimeoutSeconds: 10,
                           maxBodyBytes: 1024, threads: 2, log: { _ in }, reply: router.handler)
        }
        let server = try start()
        defer { server.stop() }
        server.setResponseHeaders([("X-Server", "one")])
        func get(_ s: HTTPServer, _ target: String) throws -> (status: Int, headers: [String: String], body: [UInt8]) {
            let r = try fetch(port: s.port, "GET \(target) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return (r.status, r.headers, r.body)
        }
        for (target, status, variant) in [("/shared", 200, "a"), ("/shared", 200, "a"), ("/shared?v=b", 200, "b"),
                                          ("/shared?s=404", 404, "a"), ("/shared", 200, "a")] {
            let r = try get(server, target)
            #expect(r.status == status, "\(target)")
            #expect(r.headers["x-variant"] == variant, "\(target)")
            #expect(r.headers["x-server"] == "one", "\(target)")
            #expect(r.body == bytes, "\(target)")
        }
        // New server headers: the response kept with the old ones is not sent any more.
        server.setResponseHeaders([("X-Server", "two")])
        let after = try get(server, "/shared")
        #expect(after.headers["x-server"] == "two")
        #expect(after.headers["x-variant"] == "a")
        // Another server with headers of its own, serving the same body.
        let other = try start()
        defer { other.stop() }
        other.setResponseHeaders([("X-Server", "other")])
        #expect(try get(other, "/shared").headers["x-server"] == "other")
        #expect(try get(server, "/shared").headers["x-server"] == "two")
        // Keep-alive: several requests on one connection, each answered whole.
        let three = String(repeating: "GET /shared HTTP/1.1\r\nHost: x\r\n\r\n", count: 2)
            + "GET /shared HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        let connection = try RawConnection(port: server.port)
        try connection.send(three)
        let raw = String(decoding: try connection.readToEOF(), as: UTF8.self)
        #expect(raw.components(separatedBy: "HTTP/1.1 200").count - 1 == 3)
        #expect(raw.components(separatedBy: "shared bytes\n").count - 1 == 3)
        Self.expectNoLiveRequests(server)
        Self.expectNoLiveRequests(other)
    }

    @Test("the handler sees method, decoded path, query and headers")
    func requestFields() throws {
        let server = try Self.makeServer()
        defer { server.stop() }
        let r = try fetch(
            port: server.port,
            "GET /info?b=2&a=x%20y&flag HTTP/1.1\r\nHost: x\r\naccept: text/plain\r\nConnection: close\r\n\r\n"
        )
        #expect(r.status == 200)
        #expect(r.text == "method=GET path=/info query=a=x y&b=2&flag= accept=text/plain")
    }

    @Test("HEAD has the GET headers and Content-Length but no body")
    func head() throws {
        let server = try Self.makeServer()
        defer { server.stop() }
        let r = try fetch(port: server.port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(r.status == 200)
        #expect(r.body.isEmpty)
        #expect(r.headers["content-length"] == String(Self.metricsBody.utf8.count))
        #expect(r.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
    }

    @Test("POST bodies reach the handler, with Content-Length and chunked")
    func post() throws {
        let server = try Self.makeServer()
        defer { server.stop() }
        let payload = String(repeating: "0123456789", count: 100)  // 1000 bytes, under the 1024 limit
        let r = try fetch(
            port: server.port,
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(payload.utf8.count)\r\nConnection: close\r\n\r\n\(payload)"
        )
        #expect(r.status == 200)
        #expect(r.text == payload)

        let chunked = try fetch(
            port: server.port,
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )
        #expect(chunked.status == 200)
        #expect(chunked.text == "hello world")
        Self.expectNoLiveRequests(server)
    }

    @Test("a wrong method is 405 with Allow; an unknown path is 404")
    func statusCodes() throws {
        let server = try Self.makeServer()
        defer { server.stop() }
        let wrong = try fetch(port: server.port, "DELETE /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(wrong.status == 405)
        #expect(wrong.headers["allow"] == "GET, HEAD")
        let missing = try fetch(port: server.port, "GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(missing.status == 404)
        #expect(missing.text.contains("not found"))
    }

    @Test("bodies over the limit get 413 and never reach the handler")
    func tooLarge() throws {
        let server = try Self.makeServer(maxBody: 1024)
        defer { server.stop() }
        // Announced: refused before the body is read.
        let announced = try RawConnection(port: server.port)
        try announced.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
        try? announced.send(String(repeating: "a", count: 5000))
        // A pipelined request after the refused body is not served: the connection closes.
        try? announced.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        let r1 = try HTTPTestClient.parse(announced.readToEOF(), method: "GET")
        #expect(r1.status == 413)
        #expect(r1.headers["connection"] == "close")
        #expect(r1.text.hasPrefix("413 "))

        // Chunked: discovered while reading.
        let chunk = String(repeating: "b", count: 800)
        let r2 = try fetch(
            port: server.port,
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "320\r\n\(chunk)\r\n320\r\n\(chunk)\r\n0\r\n\r\n"
        )
        #expect(r2.status == 413)
        #expect(r2.headers["connection"] == "close")
        #expect(r2.text.contains("1024"))

        // Exactly at the limit is fine.
        let exact = String(repeating: "c", count: 1024)
        let r3 = try fetch(
            port: server.port,
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\nConnection: close\r\n\r\n\(exact)"
        )
        #expect(r3.status == 200)
        #expect(r3.body.count == 1024)
        Self.expectNoLiveRequests(server)
    }

    @Test("many sequential requests, also on one keep-alive connection")
    func sequential() throws {
        let server = try Self.makeServer()
        defer { server.stop() }
        for i in 0..<200 {
            let path = i.isMultiple(of: 2) ? "/metrics" : "/nowhere"
            let r = try fetch(port: server.port, "GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(r.status == (i.isMultiple(of: 2) ? 200 : 404))
        }
        // Pipelined keep-alive: 20 requests on one connection, the last one closes it.
        var batch = ""
        for i in 0..<20 {
            batch += "GET /metrics HTTP/1.1\r\nHost: x\r\n" + (i == 19 ? "Connection: close\r\n" : "") + "\r\n"
        }
        let connection = try RawConnection(port: server.port)
        try connection.send(batch)
        let text = String(decoding: try connection.readToEOF(), as: UTF8.self)
        #expect(text.ranges(of: "HTTP/1.1 200").count == 20)
        Self.expectNoLiveRequests(server)
    }

    @Test("concurrent clients are all served")
    func concurrent() throws {
        let server = try Self.makeServer(limit: 64)
        defer { server.stop() }
        let ok = Atomic<Int>(0)
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            for _ in 0..<25 {
                do {
                    let r = try fetch(port: server.port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if r.status == 200 && r.text == Self.metricsBody { ok.add(1, ordering: .relaxed) }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(ok.load(ordering: .relaxed) == 400)
        Self.expectNoLiveRequests(server)
    }

    @Test("a client that connects and sends nothing does not hold up others")
    func slowClient() throws {
        let server = try Self.makeServer(timeout: 30)
        defer { server.stop() }
        let silent = try RawConnection(port: server.port)
        let partial = try RawConnection(port: server.port)
        try partial.send("GET /metrics HTTP/1.1\r\nHost: x\r\n")  // headers never finished
        let start = ContinuousClock.now
        for _ in 0..<5 {
            let r = try fetch(port: server.port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(r.status == 200)
        }
        #expect(ContinuousClock.now - start < .seconds(2))
        withExtendedLifetime((silent, partial)) {}
    }

    @Test("the connection timeout closes an idle connection")
    func idleTimeout() throws {
        let server = try Self.makeServer(timeout: 1)
        defer { server.stop() }
        let idle = try RawConnection(port: server.port, receiveTimeoutSeconds: 6)
        let start = ContinuousClock.now
        let bytes = try idle.readToEOF()  // throws if not closed within 6 s
        let waited = ContinuousClock.now - start
        #expect(bytes.isEmpty)
        #expect(waited >= .milliseconds(500))
        #expect(waited < .seconds(4))
        Self.expectNoLiveRequests(server)
    }

    @Test("connections over the limit wait unserved while the held ones are inside requests")
    func connectionLimit() throws {
        let messages = Mutex<[String]>([])
        let server = try Self.makeServer(timeout: 30, limit: 2, log: { line in messages.withLock { $0.append(line) } })
        defer { server.stop() }
        // Inside a request (header complete, body still owed): never evicted.
        var held: [RawConnection] = []
        for _ in 0..<2 {
            let c = try RawConnection(port: server.port)
            try c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
            held.append(c)
            usleep(100_000)
        }
        // At the limit libmicrohttpd stops accepting: the third connection sits in the backlog.
        let third = try RawConnection(port: server.port, receiveTimeoutSeconds: 1)
        try? third.send("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let refused = (try? third.readToEOF()) ?? []
        #expect(refused.isEmpty)
        #expect(server.connectionStats.evicted == 0)
        held.removeAll()
        var served = false
        for _ in 0..<50 where !served {
            usleep(50_000)
            served = (try? fetch(port: server.port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))?.status == 200
        }
        #expect(served)
        // libmicrohttpd's own messages (about the two abandoned requests) reached the log sink, formatted.
        let logged = messages.withLock { $0 }
        #expect(logged.contains { $0.contains("request") && !$0.contains("%") }, "\(logged)")
    }

    @Test("a malformed request gets 400 from libmicrohttpd and the server keeps serving")
    func malformedRequest() throws {
        let messages = Mutex<[String]>([])
        let server = try Self.makeServer(log: { line in messages.withLock { $0.append(line) } })
        defer { server.stop() }
        let bad = try RawConnection(port: server.port).exchange("GET /metrics HTTP/1.1\r\nBroken header line\r\n\r\n")
        #expect(bad.status == 400, "\(messages.withLock { $0 })")
        let good = try fetch(port: server.port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(good.status == 200)
        Self.expectNoLiveRequests(server)
    }

    @Test("invalid status and unsafe or server-managed headers are not passed through")
    func unsafeResponse() throws {
        let server = try Self.makeServer()
        defer { server.stop() }
        let r = try fetch(port: server.port, "GET /weird HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(r.status == 500)
        #expect(r.headers["x-injected"] == nil)
        #expect(r.headers["set-cookie"] == nil)
        #expect(r.headers["content-length"] == "5")
        #expect(r.headers["x-fine"] == "ok")
        #expect(r.text == "weird")
    }

    @Test("binding a busy port is a clear error naming the address")
    func busyPort() throws {
        let first = try Self.makeServer()
        defer { first.stop() }
        let address = "127.0.0.1:\(first.port)"
        #expect {
            try Self.makeServer(address: address)
        } throws: { error in
            (error as? HTTPServerError)?.description == "cannot listen on \(address): Address already in use"
        }
    }

    @Test("an address that is not ours cannot be bound, and a bad address does not parse")
    func badAddresses() {
        #expect {
            try Self.makeServer(address: "192.0.2.1:0")  // TEST-NET-1: not configured here
        } throws: { error in
            (error as? HTTPServerError)?.description == "cannot listen on 192.0.2.1:0: Cannot assign requested address"
        }
        #expect(throws: HTTPServerError.self) { try Self.makeServer(address: "127.0.0.1") }
        #expect(throws: HTTPServerError.self) { try Self.makeServer(address: "no-such-host.invalid:0") }
    }

    @Test("listening on every interface (:0) and on localhost is reachable over 127.0.0.1")
    func anyAndLocalhost() throws {
        for address in [":0", "0.0.0.0:0", "localhost:0"] {
            let server = try Self.makeServer(address: address)
            defer { server.stop() }
            let r = try fetch(port: server.port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(r.status == 200, "\(address)")
        }
    }

    /// Whether this host can bind ::1 at all (some sandboxes disable IPv6).
    static func hostHasIPv6() -> Bool {
        let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_addr = in6addr_loopback
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0
            }
        }
    }

    @Test("IPv6: [::1] serves over IPv6 and :0 is dual-stack", .enabled(if: hostHasIPv6(), "no IPv6 on this host"))
    func ipv6() throws {
        let loopback = try Self.makeServer(address: "[::1]:0")
        defer { loopback.stop() }
        let r = try fetch(port: loopback.port, host: "::1", "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(r.status == 200)
        #expect(throws: HTTPTestClient.Failure.self) { try RawConnection(port: loopback.port, host: "127.0.0.1") }

        let any = try Self.makeServer(address: ":0")
        defer { any.stop() }
        for host in ["::1", "127.0.0.1"] {
            let r = try fetch(port: any.port, host: host, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(r.status == 200, "\(host)")
        }
    }

    @Test("stop is idempotent, safe from many threads, and closes the port")
    func stop() throws {
        let server = try Self.makeServer()
        let port = server.port
        #expect(try fetch(port: port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status == 200)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in server.stop() }
        server.stop()
        #expect(throws: HTTPTestClient.Failure.self) { try RawConnection(port: port) }
    }
}
