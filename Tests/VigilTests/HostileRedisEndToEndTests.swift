import Foundation
import Synchronization
import Testing
import VigilTestSupport

/// The real binary against a fake Redis on 127.0.0.1 that turns hostile: a bulk string
/// announcing 4 GB and streaming, then a reply that never ends. Each failing cycle is logged
/// with its error and published as `redis_up 0`; `/metrics` keeps answering; the process grows
/// by the reply cap at most, not by what the server sends.
@Suite("hostile Redis end to end", .serialized)
struct HostileRedisEndToEndTests {
    enum Mode { case healthy, huge, trickle }

    static let info = "# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:10\r\n# Clients\r\nconnected_clients:1\r\n"

    /// The value of the first sample of `name` (any labels).
    static func value(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
            return line.split(separator: " ").last.flatMap { Double($0) }
        }
        return nil
    }

    @Test("a 4 GB bulk string fails each cycle with 'reply larger than 67108864 bytes', grows Vigil by the cap at most; a trickling reply ends at the command timeout; /metrics answers throughout")
    func hostileServer() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let mode = Mutex(Mode.healthy)
        let server = try FakeRedisServer { command in
            switch command.first?.uppercased() {
            case "PING": return .reply(Array("+PONG\r\n".utf8))
            case "INFO":
                switch mode.withLock({ $0 }) {
                case .healthy: return .reply(Array("$\(Self.info.utf8.count)\r\n\(Self.info)\r\n".utf8))
                // Without the cap all 320 MiB would be buffered (loopback moves it well within 3 s).
                case .huge: return .endless(header: Array("$4000000000\r\n".utf8), limit: 320 << 20)
                case .trickle: return .trickle(header: Array("$1000\r\n".utf8), every: 0.05, limit: 1_000)
                }
            default: return .reply(Array("-ERR unknown command\r\n".utf8))
            }
        }
        defer { server.stop() }
        let config = """
            global: {collect_interval: 4s, collect_timeout: 4s}
            redis:
              targets:
                - name: fake
                  url: "redis://127.0.0.1:\(server.port)"
                  command_timeout: 3s
                  reconnect_backoff_initial: 100ms
                  reconnect_backoff_max: 100ms

            """
        let vigil = try VigilProcess(binary: bin, config: config)
        #expect(vigil.waitReady(), "never ready; log:\n\(vigil.log)")
        #expect(eventually(20) { Self.value("redis_up", in: vigil.metrics()) == 1 }, "\(vigil.metrics())")
        let before = try #require(vigil.statusKilobytes("VmHWM"))

        mode.withLock { $0 = .huge }
        #expect(eventually(30) { vigil.log.contains("reply larger than 67108864 bytes") }, "log:\n\(vigil.log.suffix(3000))")
        #expect(eventually(10) { Self.value("redis_up", in: vigil.metrics()) == 0 })
        // A few more hostile cycles, each answered by /metrics meanwhile.
        let failures = { vigil.log.components(separatedBy: "reply larger than 67108864 bytes").count - 1 }
        #expect(eventually(30) {
            (try? vigil.get("/metrics").status) == 200 && failures() >= 2
        })
        #expect(server.fillerSent > 2 * (64 << 20))
        let after = try #require(vigil.statusKilobytes("VmHWM"))
        print("hostile Redis: VmHWM \(before) kB before, \(after) kB after \(failures()) refused replies; \(server.fillerSent) filler bytes sent")
        // The reply buffer is the cap plus one read; 320 MiB a cycle arrived at the socket.
        #expect(after - before < (64 + 40) * 1024, "VmHWM \(before) kB → \(after) kB")

        // A byte every 50 ms never lets a read time out; the collector thread itself gives up
        // at the command timeout (3 s, not the 50 s the reply would take) and says so.
        let timedOut = { vigil.log.components(separatedBy: "timed out talking to redis://127.0.0.1:\(server.port)").count - 1 }
        let timeoutsBefore = timedOut()
        mode.withLock { $0 = .trickle }
        #expect(eventually(20) { timedOut() > timeoutsBefore }, "log:\n\(vigil.log.suffix(3000))")
        #expect((try? vigil.get("/metrics", timeout: 2).status) == 200)
        #expect(Self.value("redis_up", in: vigil.metrics()) == 0)
        #expect(vigil.isRunning)
    }
}
