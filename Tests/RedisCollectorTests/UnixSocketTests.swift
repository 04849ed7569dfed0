import Foundation
import Logging
import Testing
import VigilCore
@testable import RedisCollector
import VigilTestSupport

@Suite("Redis over a unix socket")
struct UnixSocketTests {
    @Test("unix:///path?db=N connects, selects the database and collects")
    func unixSocket() throws {
        guard let exe = TestEnvironment.tool("redis-server") else { return }
        let dir = URL(fileURLWithPath: "/tmp").appendingPathComponent("vigil-sock-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let socket = dir.appendingPathComponent("redis.sock").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["--port", "0", "--unixsocket", socket, "--save", "", "--appendonly", "no", "--dir", dir.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { stopChild(p) }
        let deadline = Date().addingTimeInterval(5)
        while !FileManager.default.fileExists(atPath: socket), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }

        let e = try RedisEndpoint.parse("unix://\(socket)?db=2")
        let c = try HiredisConnection(.init(endpoint: e, password: nil, connectTimeout: 2, commandTimeout: 2, clientName: "vigil"),
                                      deadline: .now + .seconds(5))
        #expect(try c.command(["SET", "k", "v"]) == .status("OK"))
        #expect(try c.command(["CLIENT", "INFO"]).text?.contains("db=2") == true)

        let collector = try RedisCollector(options: .init(url: "unix://\(socket)"), logger: Logger(label: "test"))
        defer { collector.close() }
        let f = try collector.collect(CollectContext(startedAt: Date(), deadline: .now + .seconds(5)))
        #expect(f.value("redis_db_keys", ["db": "db2"]) == 1)
    }
}

@Suite("Redis in cluster mode")
struct ClusterModeTests {
    @Test("a cluster-enabled server adds CLUSTER INFO's cluster_* families and has one database")
    func clusterInfo() throws {
        guard let exe = TestEnvironment.tool("redis-server") else { return }
        let dir = URL(fileURLWithPath: "/tmp").appendingPathComponent("vigil-cluster-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // The cluster bus listens on port + 10000, so Redis refuses ports above 55535.
        var port = try SilentListener.freePort()
        for _ in 0..<200 where port > 55535 { port = try SilentListener.freePort() }
        try #require(port <= 55535, "no free port at or below 55535")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", dir.appendingPathComponent("nodes.conf").path,
                       "--save", "", "--appendonly", "no", "--dir", dir.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { stopChild(p) }
        let collector = try RedisCollector(options: .init(url: "redis://127.0.0.1:\(port)", reconnectBackoffInitial: 0.05, reconnectBackoffMax: 0.2,
                                                          bullmq: .init(enabled: false)), logger: Logger(label: "test"))
        defer { collector.close() }
        var families: [MetricFamily]?
        let deadline = Date().addingTimeInterval(20)
        while families == nil, Date() < deadline {
            families = try? collector.collect(CollectContext(startedAt: Date(), deadline: .now + .seconds(5)))
            if families == nil { Thread.sleep(forTimeInterval: 0.1) }
        }
        let f = try #require(families)
        #expect(f.value("redis_cluster_enabled") == 1)
        // No slots are assigned: cluster_state:fail reads 0 (the value rule for "fail").
        #expect(f.value("redis_cluster_state") == 0)
        #expect(f.value("redis_cluster_slots_assigned") == 0)
        #expect(f.value("redis_cluster_known_nodes") == 1)
        #expect(f["redis_db_keys"]?.samples.count == 1)
    }
}
