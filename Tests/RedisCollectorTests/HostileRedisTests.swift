import Foundation
import Logging
import Synchronization
import Testing
import VigilCore
import VigilTestSupport
@testable import RedisCollector

/// A Redis that answers with a reply too large or one that never ends, served by a fake RESP
/// server on 127.0.0.1: the command fails with a clear error, the reader holds no more than
/// the cap plus one read, and nothing outlasts the command timeout.
@Suite("hostile Redis replies", .serialized)
struct HostileRedisTests {
    static func setup(port: Int, timeout: Double, maxReplyBytes: Int = HiredisConnection.maxReplyBytes) throws -> HiredisConnection.Setup {
        var s = HiredisConnection.Setup(endpoint: try RedisEndpoint.parse("redis://127.0.0.1:\(port)"), password: nil,
                                        connectTimeout: 5, commandTimeout: timeout, clientName: nil)
        s.maxReplyBytes = maxReplyBytes
        return s
    }

    @Test("a bulk string announcing 4 GB fails the command once the cap has arrived; the reader never holds more than the cap and one read")
    func hugeBulk() throws {
        let cap = 1 << 20
        let server = try FakeRedisServer { _ in .endless(header: Array("$4000000000\r\n".utf8), limit: 64 << 20) }
        defer { server.stop() }
        let c = try HiredisConnection(try Self.setup(port: server.port, timeout: 60, maxReplyBytes: cap), deadline: nil)
        var failure: RedisConnectionError?
        do {
            _ = try c.command(["PING"])
        } catch {
            failure = error
        }
        let e = try #require(failure)
        #expect(e.kind == .io)
        #expect(e.message.contains("reply larger than 1048576 bytes"), "\(e.message)")
        #expect(!c.isConnected)
        // The cap was reached by bytes that arrived, and hiredis' buffer stayed within one 16 KiB read of it.
        #expect(server.fillerSent > cap)
        #expect(c.peakBufferedBytes > cap / 2)
        #expect(c.peakBufferedBytes <= cap + 16 * 1024 + 64)
    }

    @Test("the default cap is 64 MiB and the same limit holds in a pipeline, reply by reply")
    func pipelineCap() throws {
        #expect(HiredisConnection.maxReplyBytes == 64 << 20)
        let cap = 256 * 1024
        // Small replies first, then one that grows past the cap: the earlier ones do not count against it.
        let server = try FakeRedisServer { command in
            command.first == "ECHO" ? .reply(Array("$\(cap / 2)\r\n\(String(repeating: "a", count: cap / 2))\r\n".utf8))
                : .endless(header: Array("*1\r\n$4000000000\r\n".utf8), limit: 16 << 20)
        }
        defer { server.stop() }
        let c = try HiredisConnection(try Self.setup(port: server.port, timeout: 60, maxReplyBytes: cap), deadline: nil)
        let ok = try c.pipeline([["ECHO", "a"], ["ECHO", "b"], ["ECHO", "c"]])
        #expect(ok.map { $0.text?.count } == [cap / 2, cap / 2, cap / 2])
        #expect {
            _ = try c.pipeline([["ECHO", "d"], ["GET", "big"]])
        } throws: { error in
            (error as? RedisConnectionError).map { $0.kind == .io && $0.message.contains("reply larger than 262144 bytes") } ?? false
        }
        #expect(c.peakBufferedBytes <= cap + 16 * 1024 + 64)
    }

    @Test("a reply that never ends, a byte every 20 ms, fails at the command timeout (no read ever times out on its own)")
    func trickle() throws {
        let server = try FakeRedisServer { _ in .trickle(header: Array("$1000\r\n".utf8), every: 0.02, limit: 1_000) }
        defer { server.stop() }
        let c = try HiredisConnection(try Self.setup(port: server.port, timeout: 0.5), deadline: nil)
        let start = ContinuousClock.now
        #expect {
            _ = try c.command(["PING"])
        } throws: { error in
            (error as? RedisConnectionError)?.kind == .timeout
        }
        // 1,000 bytes at 20 ms each would take 20 s; the command's budget is 0.5 s.
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(server.fillerSent < 500)
    }

    @Test("a trickling reply is bounded by the cycle's deadline too, when it comes first")
    func trickleDeadline() throws {
        let server = try FakeRedisServer { _ in .trickle(header: Array("*2\r\n$1\r\na\r\n$1000\r\n".utf8), every: 0.02, limit: 1_000) }
        defer { server.stop() }
        let c = try HiredisConnection(try Self.setup(port: server.port, timeout: 30), deadline: .now + .milliseconds(600))
        let start = ContinuousClock.now
        #expect {
            _ = try c.command(["PING"])
        } throws: { error in
            (error as? RedisConnectionError)?.kind == .timeout
        }
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("many small values are refused once parsed past twice the cap (48 bytes each in hiredis), before the wire cap")
    func parsedBudget() throws {
        let cap = 1 << 20
        // 100,000 integers: 400 kB on the wire, about 5 MB as hiredis objects.
        let many = Array(("*100000\r\n" + String(repeating: ":0\r\n", count: 100_000)).utf8)
        #expect(many.count < cap)
        #expect {
            _ = try HiredisConnection.parseReplies(many, maxReplies: 1, maxReplyBytes: cap)
        } throws: { error in
            (error as? RedisConnectionError)?.message == "protocol error: reply larger than 2097152 bytes once parsed"
        }
        // The same reply under the default cap is whole.
        let whole = try HiredisConnection.parseReplies(many, maxReplies: 1)
        #expect(whole.replies.first?.array?.count == 100_000)
        // An array announcing more than 2^20 elements keeps its own message.
        #expect {
            _ = try HiredisConnection.parseReplies(Array("*2000000\r\n".utf8), maxReplies: 1)
        } throws: { error in
            (error as? RedisConnectionError)?.message.contains("an array of over 1048576 elements") ?? false
        }
    }

    @Test("the collector fails that cycle with the error, and the next cycle against a healthy answer succeeds")
    func collectorCycle() throws {
        let hostile = Mutex(true)
        let info = "# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:10\r\n# Clients\r\nconnected_clients:1\r\n"
        let server = try FakeRedisServer { command in
            switch command.first?.uppercased() {
            case "PING": return .reply(Array("+PONG\r\n".utf8))
            case "INFO":
                return hostile.withLock { $0 } ? .endless(header: Array("$4000000000\r\n".utf8), limit: 128 << 20)
                    : .reply(Array("$\(info.utf8.count)\r\n\(info)\r\n".utf8))
            default: return .reply(Array("-ERR unknown command\r\n".utf8))
            }
        }
        defer { server.stop() }
        let options = RedisCollectorOptions(url: "redis://127.0.0.1:\(server.port)", commandTimeout: 60,
                                            reconnectBackoffInitial: 0.01, reconnectBackoffMax: 0.01)
        let collector = try RedisCollector(options: options, logger: Logger(label: "test"))
        defer { collector.close() }
        #expect {
            try collector.connect(deadline: .now + .seconds(5))
            _ = try collector.collect(CollectContext(startedAt: Date(), deadline: .now + .seconds(60)))
        } throws: { error in
            "\(error)".contains("reply larger than 67108864 bytes")
        }
        #expect(server.fillerSent > 64 << 20)
        hostile.withLock { $0 = false }
        let families = try eventuallyCollect(collector)
        #expect(families.contains { $0.name == "redis_connected_clients" })
    }

    private func eventuallyCollect(_ collector: RedisCollector) throws -> [MetricFamily] {
        var last: (any Error)?
        for _ in 0..<50 {
            do {
                try collector.connect(deadline: .now + .seconds(5))
                return try collector.collect(CollectContext(startedAt: Date(), deadline: .now + .seconds(10)))
            } catch {
                last = error
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        throw last ?? RedisConnectionError(.io, "no collection")
    }
}
