import Foundation
import Testing
import VigilTestSupport

/// The real binary at its default `web` settings under a slowloris and an idle-connection
/// burst, and its protocol strictness, over raw sockets on 127.0.0.1.
@Suite("vigil HTTP defences end to end", .serialized)
struct HTTPDefencesEndToEndTests {
    static let config = "global: {collect_interval: 1s}\n"

    @Test("during a slowloris of 300 connections sending a header byte a second, a fresh client gets /metrics within 1 s")
    func slowloris() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let vigil = try VigilProcess(binary: bin, config: Self.config)
        #expect(vigil.waitReady())
        let attack = Slowloris(port: vigil.port, connections: 300)
        defer { attack.stop() }
        #expect(eventually(10) { attack.openedCount >= 300 })
        Thread.sleep(forTimeInterval: 2)
        let latencies = try freshClientLatencies(port: vigil.port, samples: 10)
        #expect(latencies.allSatisfy { $0 < 1 }, "\(latencies)")
        attack.stop()
        #expect(vigil.terminate().status == 0)
    }

    @Test("a header that is still incomplete after web.header_timeout is cut off, however it trickles")
    func headerTimeout() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let vigil = try VigilProcess(binary: bin, config: "  header_timeout: 1s\n" + Self.config)
        #expect(vigil.waitReady())
        let slow = try RawConnection(port: vigil.port)
        let start = Date()
        try slow.send("GET /metrics HTTP/1.1\r\nHost: x\r\n")
        var closedAfter: Double?
        for _ in 0..<40 {
            if slow.peerClosed() {
                closedAfter = Date().timeIntervalSince(start)
                break
            }
            try? slow.send("X")
            Thread.sleep(forTimeInterval: 0.1)
        }
        let closed = try #require(closedAfter, "never closed")
        #expect(closed > 0.8 && closed < 2.5, "closed after \(closed) s")
        #expect(slow.readAll().isEmpty)
        #expect(vigil.terminate().status == 0)
    }

    @Test("during a burst of 1,000 idle connections, a fresh client gets /metrics within 1 s")
    func idleBurst() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let vigil = try VigilProcess(binary: bin, config: Self.config)
        #expect(vigil.waitReady())
        var burst = RawConnection.burst(port: vigil.port, count: 1000)
        #expect(burst.count == 1000)
        let latencies = try freshClientLatencies(port: vigil.port, samples: 10)
        #expect(latencies.allSatisfy { $0 < 1 }, "\(latencies)")
        burst.removeAll()
        #expect(vigil.terminate().status == 0)
    }

    @Test("get /metrics (lowercase) is 501 and /metrics%00 is 400, never the metrics")
    func strictness() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let vigil = try VigilProcess(binary: bin, config: Self.config)
        #expect(vigil.waitReady())
        func ask(_ line: String) throws -> HTTPTestClient.Response {
            let c = try RawConnection(port: vigil.port)
            try c.send(line + "\r\nHost: x\r\nConnection: close\r\n\r\n")
            return try HTTPTestClient.parse(c.readAll(), method: "GET")
        }
        #expect(try ask("get /metrics HTTP/1.1").status == 501)
        #expect(try ask("Get /-/healthy HTTP/1.1").status == 501)
        #expect(try ask("get /api/v2/silences HTTP/1.1").status == 501)
        #expect(try ask("GET /metrics%00 HTTP/1.1").status == 400)
        #expect(try ask("GET /-/healthy%00 HTTP/1.1").status == 400)
        #expect(try ask("GET /metrics\u{0} HTTP/1.1").status == 400)
        #expect(try ask("DELETE /metrics HTTP/1.1").status == 405)
        #expect(try ask("GET /metrics HTTP/1.1").status == 200)
        // A NUL inside a query string is a NUL, not the end of it: a parse error, not `vigil_build_info`.
        #expect(try ask("GET /api/v1/query?query=vigil_build_info%00 HTTP/1.1").status == 400)
        #expect(vigil.terminate().status == 0)
    }
}
