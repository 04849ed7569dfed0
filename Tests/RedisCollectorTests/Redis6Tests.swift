import Foundation
import Logging
import Testing
import VigilCore
@testable import RedisCollector

/// Against a Redis 6.2 server when one is given in VIGIL_TEST_REDIS_6_URL (optional: the
/// suite's contract only has Redis 7; Debian 12 ships 7.0).
@Suite("Redis 6.2 server (optional)")
struct Redis6Tests {
    @Test("collects on 6.2; LATENCY HISTOGRAM, unknown there, is tried once and then left out")
    func redis62() throws {
        guard let url = ProcessInfo.processInfo.environment["VIGIL_TEST_REDIS_6_URL"] else { return }
        let c = try RedisCollector(options: .init(url: url, bullmq: .init(enabled: false)), logger: Logger(label: "test"))
        defer { c.close() }
        let ctx = { CollectContext(startedAt: Date(), deadline: .now + .seconds(5)) }
        let f1 = try c.collect(ctx())
        #expect(f1.value("redis_instance_info")  == 1)
        #expect(f1["redis_instance_info"]?.samples.first?.labels["redis_version"]?.hasPrefix("6.2") == true)
        #expect(f1["redis_commands_total"] != nil)
        #expect(f1.value("vigil_redis_command_failures_total", ["command": "LATENCY HISTOGRAM"]) == 1)
        let f2 = try c.collect(ctx())
        #expect(f2.value("vigil_redis_command_failures_total", ["command": "LATENCY HISTOGRAM"]) == 1)
        #expect(f2["redis_commands_latencies_usec"] == nil)
    }
}
