#if canImport(Glibc)
import VigilTestSupport
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import HTTPServer

/// Slow and idle clients against real sockets on 127.0.0.1: the header deadline, eviction of
/// header-waiting connections near the limit, and a fresh client's /metrics during a slowloris
/// and during a burst of idle connections, at the defaults Vigil runs with.
@Suite("HTTPServer under connection attacks", .serialized)
struct ConnectionAttackTests {
    static let metrics = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

    static func makeServer(limit: Int = 256, idle: Int = 10, header: Double = 5, threads: Int = 4) throws -> HTTPServer {
        try HTTPServer(listenAddress: "127.0.0.1:0", connectionLimit: limit, connectionTimeoutSeconds: idle,
                       headerTimeoutSeconds: header, maxBodyBytes: 1024, threads: threads,
                       log: { _ in }, reply: HTTPServerIntegrationTests.makeRouter().handler)
    }

    @Test("a header trickled a byte every 100 ms is cut off at the header deadline, though each byte resets the idle timeout")
    func headerDeadline() throws {
        let server = try Self.makeServer(limit: 16, idle: 30, header: 1, threads: 1)
        defer { server.stop() }
        let slow = try RawConnection(port: server.port)
        let start = ContinuousClock.now
        try slow.send("GET /metrics HTTP/1.1\r\nHost: x\r\n")
        var closedAfter: Duration?
        for byte in String(repeating: "X-Slow: 1\r\n", count: 10).utf8 {
            if slow.peerClosed() {
                closedAfter = ContinuousClock.now - start
                break
            }
            try? slow.send([byte])
            usleep(100_000)
        }
        let closed = try #require(closedAfter, "the trickling connection was never closed")
        #expect(closed >= .milliseconds(800))
        #expect(closed < .milliseconds(2500))
        #expect((try? slow.readToEOF()) ?? [] == [])
        #expect(server.connectionStats.headerTimeouts == 1)
        // Everyone else is served as usual.
        #expect(try fetch(port: server.port, Self.metrics).status == 200)
    }

    @Test("a body trickling after a complete header is not cut off by the header deadline")
    func slowBodyIsNotAHeader() throws {
        let server = try Self.makeServer(limit: 16, idle: 30, header: 1, threads: 1)
        defer { server.stop() }
        let c = try RawConnection(port: server.port, receiveTimeoutSeconds: 10)
        try c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\n")
        for byte in "0123456789".utf8 {
            try c.send([byte])
            usleep(200_000)  // 2 s for the body, twice the header timeout
        }
        let r = try HTTPTestClient.parse(c.readToEOF(), method: "GET")
        #expect(r.status == 200)
        #expect(r.text == "0123456789")
        #expect(server.connectionStats.headerTimeouts == 0)
    }

    @Test("a kept-alive connection has the idle timeout plus the header timeout for its next request")
    func keepAlive() throws {
        let server = try Self.makeServer(limit: 16, idle: 3, header: 1, threads: 1)
        defer { server.stop() }
        let c = try RawConnection(port: server.port, receiveTimeoutSeconds: 10)
        try c.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(1_600_000)  // past the header timeout, within the idle timeout
        #expect(!c.peerClosed())
        try c.send(Self.metrics)
        let text = String(decoding: try c.readToEOF(), as: UTF8.self)
        #expect(text.ranges(of: "HTTP/1.1 200").count == 2)
        #expect(server.connectionStats.headerTimeouts == 0)
    }

    @Test("near the limit a new client evicts the oldest connection still waiting for a header, never one inside a request")
    func eviction() throws {
        // Limit 8: eviction starts past 7 open connections.
        let server = try Self.makeServer(limit: 8, idle: 30, header: 30, threads: 1)
        defer { server.stop() }
        let busy = try RawConnection(port: server.port, receiveTimeoutSeconds: 10)
        try busy.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\n")
        usleep(50_000)
        var idle: [RawConnection] = []
        for _ in 0..<6 {
            idle.append(try RawConnection(port: server.port))
            usleep(30_000)
        }
        #expect(eventuallyTrue(2) { server.connectionStats.open == 7 })
        #expect(server.connectionStats.evicted == 0)
        // The eighth connection (this client) evicts the oldest idle one and is served.
        let r = try fetch(port: server.port, Self.metrics)
        #expect(r.status == 200)
        #expect(server.connectionStats.evicted == 1)
        #expect(eventuallyTrue(2) { idle[0].peerClosed() })
        #expect(idle[1...].allSatisfy { !$0.peerClosed() })
        // The connection inside its request is intact and gets its answer.
        try busy.send("ping")
        let answer = try HTTPTestClient.parse(busy.readToEOF(), method: "GET")
        #expect(answer.status == 200 && answer.text == "ping")
    }

    @Test("the listen backlog holds a burst: the kernel's ceiling, not 128")
    func backlog() {
        #expect(ListenSocket.backlog >= 1024)
    }

    @Test("during a slowloris of 300 connections sending a header byte a second, a fresh client gets /metrics within 1 s (default limits)")
    func slowloris() throws {
        let server = try Self.makeServer()
        defer { server.stop() }
        let attack = Slowloris(port: server.port, connections: 300)
        defer { attack.stop() }
        let allConnected = eventuallyTrue(10) { attack.openedCount >= 300 }
        #expect(allConnected)
        usleep(2_000_000)  // two bytes from each
        let latencies = try freshClientLatencies(port: server.port, samples: 10)
        #expect(latencies.allSatisfy { $0 < 1 }, "\(latencies) s")
        // The defence did the work: 300 trickling connections exceed 7/8 of 256.
        #expect(server.connectionStats.evicted > 0)
        #expect(server.connectionStats.open <= 256)
    }

    @Test("during a burst of 1,000 idle connections, a fresh client gets /metrics within 1 s (default limits)")
    func idleBurst() throws {
        let server = try Self.makeServer()
        defer { server.stop() }
        let burst = RawConnection.burst(port: server.port, count: 1000)
        #expect(burst.count == 1000)
        let latencies = try withExtendedLifetime(burst) { try freshClientLatencies(port: server.port, samples: 10) }
        #expect(latencies.allSatisfy { $0 < 1 }, "\(latencies) s")
        #expect(server.connectionStats.evicted >= 700)
    }
}
