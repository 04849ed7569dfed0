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

/// Deferred replies: the connection is suspended, libmicrohttpd's thread is free, the answer
/// comes later from another thread — over real sockets on 127.0.0.1.
@Suite("HTTPServer deferred replies")
struct DeferredReplyTests {
    static let request = "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    static let metrics = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

    /// A gate the slow jobs wait on, so the test decides when they answer.
    final class Gate: Sendable {
        private let open = Atomic<Bool>(false)
        let waiting = Atomic<Int>(0)
        func release() { open.store(true, ordering: .relaxed) }
        func pass() {
            waiting.add(1, ordering: .relaxed)
            while !open.load(ordering: .relaxed) { usleep(2_000) }
        }
    }

    /// One libmicrohttpd thread; `/slow` is deferred to `pool` and answers when `gate` opens.
    static func makeServer(pool: WorkerPool, gate: Gate, threads: Int = 1) throws -> HTTPServer {
        var router = Router()
        router.get("/metrics") { _ in .text("up 1\n") }
        router.add("/slow", methods: ["GET"], reply: { _ in
            .deferred { responder in
                let accepted = pool.submit({
                    gate.pass()
                    responder.respond(.text("slow done\n", headers: [("X-Deferred", "yes")]))
                }, ifDropped: { responder.respond(.text(status: 503, "dropped\n")) })
                if !accepted { responder.respond(.text(status: 503, "busy\n")) }
            }
        })
        router.add("/now", methods: ["GET"], reply: { request in
            // Answered from inside `start`, before the access handler has even returned.
            .deferred { responder in responder.respond(.text("at once \(request.query["i"] ?? "")\n")) }
        })
        router.add("/dropped", methods: ["GET"], reply: { _ in .deferred { _ in } })
        router.add("/never", methods: ["GET"], reply: { _ in
            .deferred { responder in
                // Keeps the responder alive without answering: only stop() can end this request.
                pool.submit({ gate.pass(); _ = responder })
            }
        })
        return try HTTPServer(listenAddress: "127.0.0.1:0", connectionLimit: 64, connectionTimeoutSeconds: 10,
                              threads: threads, reply: router.handler)
    }

    @Test("with one libmicrohttpd thread, /metrics answers at once while four deferred requests wait; then all four get their answer")
    func threadStaysFree() throws {
        let pool = WorkerPool(name: "test-slow", threads: 4, queueLimit: 4)
        defer { pool.shutdown() }
        let gate = Gate()
        let server = try Self.makeServer(pool: pool, gate: gate)
        defer { server.stop() }
        let slow = try (0..<4).map { _ in try RawConnection(port: server.port, receiveTimeoutSeconds: 10) }
        for c in slow { try c.send(Self.request) }
        let allWaiting = eventuallyTrue(5) { gate.waiting.load(ordering: .relaxed) == 4 }
        #expect(allWaiting)
        #expect(server.deferredInFlight == 4)
        for _ in 0..<5 {
            let start = ContinuousClock.now
            let r = try fetch(port: server.port, Self.metrics)
            #expect(r.status == 200 && r.text == "up 1\n")
            #expect(ContinuousClock.now - start < .seconds(1))
        }
        gate.release()
        for c in slow {
            let r = try HTTPTestClient.parse(c.readToEOF(), method: "GET")
            #expect(r.status == 200)
            #expect(r.text == "slow done\n")
            #expect(r.headers["x-deferred"] == "yes")
        }
        #expect(eventuallyTrue(2) { server.deferredInFlight == 0 && server.requestStatesInFlight == 0 })
    }

    @Test("an answer given at once, from the start closure, is delivered; many of them, concurrent and on keep-alive, leak nothing")
    func answeredAtOnce() throws {
        let pool = WorkerPool(name: "test-now", threads: 1, queueLimit: 1)
        defer { pool.shutdown() }
        let server = try Self.makeServer(pool: pool, gate: Gate(), threads: 2)
        defer { server.stop() }
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0..<25 {
                do {
                    let r = try fetch(port: server.port, "GET /now?i=\(worker)-\(i) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if r.status != 200 || r.text != "at once \(worker)-\(i)\n" { failures.withLock { $0.append("\(r.status) \(r.text)") } }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        // Pipelined on one connection: deferred and immediate answers keep their order.
        var batch = ""
        for i in 0..<10 { batch += "GET /\(i.isMultiple(of: 2) ? "now?i=\(i)" : "metrics") HTTP/1.1\r\nHost: x\r\n\r\n" }
        batch += "GET /now?i=last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        let c = try RawConnection(port: server.port)
        try c.send(batch)
        let text = String(decoding: try c.readToEOF(), as: UTF8.self)
        #expect(text.ranges(of: "HTTP/1.1 200").count == 11)
        let order = ["at once 0", "up 1", "at once 2", "up 1", "at once 4", "up 1", "at once 6", "up 1", "at once 8", "up 1", "at once last"]
        var rest = Substring(text)
        for piece in order {
            guard let r = rest.firstRange(of: piece) else { Issue.record("\(piece) missing or out of order"); break }
            rest = rest[r.upperBound...]
        }
        #expect(eventuallyTrue(2) { server.deferredInFlight == 0 && server.requestStatesInFlight == 0 })
    }

    @Test("HEAD on a deferred route gets the headers and Content-Length, no body")
    func headDeferred() throws {
        let pool = WorkerPool(name: "test-head", threads: 1, queueLimit: 1)
        defer { pool.shutdown() }
        let server = try Self.makeServer(pool: pool, gate: Gate())
        defer { server.stop() }
        let r = try fetch(port: server.port, "HEAD /now?i=h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(r.status == 200)
        #expect(r.body.isEmpty)
        #expect(r.headers["content-length"] == String("at once h\n".utf8.count))
    }

    @Test("a responder released without an answer answers 500")
    func dropped() throws {
        let pool = WorkerPool(name: "test-drop", threads: 1, queueLimit: 1)
        defer { pool.shutdown() }
        let server = try Self.makeServer(pool: pool, gate: Gate())
        defer { server.stop() }
        let r = try fetch(port: server.port, "GET /dropped HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(r.status == 500)
        #expect(r.text.contains("dropped"))
    }

    @Test("stop answers every request still waiting with 503, within about a second, and later answers are ignored")
    func stopWhileSuspended() throws {
        let pool = WorkerPool(name: "test-stop", threads: 4, queueLimit: 4)
        let gate = Gate()
        defer {
            gate.release()
            pool.shutdown()
        }
        let server = try Self.makeServer(pool: pool, gate: gate, threads: 2)
        let waiting = try (0..<3).map { _ in try RawConnection(port: server.port, receiveTimeoutSeconds: 10) }
        for c in waiting { try c.send("GET /never HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") }
        #expect(eventuallyTrue(5) { server.deferredInFlight == 3 })
        let start = ContinuousClock.now
        // libmicrohttpd aborts the process when stopped with a suspended connection; this must not.
        server.stop()
        #expect(ContinuousClock.now - start < .seconds(3))
        for c in waiting {
            let bytes = try c.readToEOF()
            let r = try HTTPTestClient.parse(bytes, method: "GET")
            #expect(r.status == 503)
            #expect(r.text.contains("shutting down"))
        }
        #expect(server.deferredInFlight == 0)
        // A request arriving during stop was never suspended; the port is closed now.
        #expect(throws: HTTPTestClient.Failure.self) { try RawConnection(port: server.port) }
    }
}

/// Polls `condition` every 10 ms until it holds or `seconds` pass.
func eventuallyTrue(_ seconds: Double, _ condition: () -> Bool) -> Bool {
    let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < end {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
