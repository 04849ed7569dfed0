import Foundation
import Logging
import Testing
import VigilCore
@testable import RedisCollector
import VigilTestSupport

/// Real BullMQ as the oracle: Fixtures/bullmq-oracle.py lays out a queue in every state with
/// the `bullmq` Python package (the same Lua scripts as BullMQ 5 for Node) and prints BullMQ's
/// own getJobCounts(); Vigil must read the same numbers. Runs when `python3 -c "import bullmq"`
/// works (PYTHONPATH from VIGIL_TEST_BULLMQ_PYTHONPATH when set); VIGIL_TEST_BULLMQ=1 makes a
/// missing package a failure.
@Suite("BullMQ counts against BullMQ's own getJobCounts")
struct BullMQOracleTests {
    static var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        if let extra = env["VIGIL_TEST_BULLMQ_PYTHONPATH"] {
            env["PYTHONPATH"] = [extra, env["PYTHONPATH"]].compactMap { $0 }.joined(separator: ":")
        }
        return env
    }

    static func bullmqAvailable() -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import bullmq"]
        p.environment = environment
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    struct Oracle: Decodable {
        var counts: [String: Double]
        var paused: Bool
    }

    @Test("every state, the paused flag and a waiting job's age match a queue BullMQ itself laid out", arguments: [false, true])
    func oracle(paused: Bool) throws {
        guard let url = TestEnvironment.redisURL else { return }
        guard Self.bullmqAvailable() else {
            if ProcessInfo.processInfo.environment["VIGIL_TEST_BULLMQ"] == "1" { Issue.record("python3 cannot import bullmq") }
            return
        }
        let script = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/bullmq-oracle.py")
        let queue = "vigil-oracle-\(UUID().uuidString.prefix(8))"
        let db = 12
        var e = try RedisEndpoint.parse(url)
        e.database = db
        let dbURL = "redis://\(e.password.map { ":\($0)@" } ?? "")\(url.split(separator: "/")[1])/\(db)"

        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script.path, dbURL, queue, paused ? "1" : "0"]
        p.environment = Self.environment
        let stdin = Pipe()
        let stdout = Pipe()
        p.standardInput = stdin
        p.standardOutput = stdout
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer {
            try? stdin.fileHandleForWriting.close()
            let end = Date().addingTimeInterval(10)
            while p.isRunning, Date() < end { Thread.sleep(forTimeInterval: 0.05) }
            stopChild(p)
        }
        // One JSON line, bounded in time.
        var buffer = Data()
        let deadline = Date().addingTimeInterval(60)
        while !buffer.contains(UInt8(ascii: "\n")), p.isRunning || stdout.fileHandleForReading.availableData.count > 0, Date() < deadline {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { Thread.sleep(forTimeInterval: 0.05) } else { buffer.append(chunk) }
        }
        let line = try #require(buffer.split(separator: UInt8(ascii: "\n")).first, "the oracle printed nothing")
        let oracle = try JSONDecoder().decode(Oracle.self, from: Data(line))

        let c = try RedisCollector(options: .init(url: url, bullmq: .init(databases: [db])), logger: Logger(label: "test"))
        defer { c.close() }
        let f = try c.collect(CollectContext(startedAt: Date(), deadline: .now + .seconds(5)))
        let labels = ["db": "db\(db)", "prefix": "bull", "queue": queue]
        for state in ["wait", "active", "paused", "delayed", "prioritized", "waiting-children", "completed", "failed"] {
            #expect(f.value("bullmq_queue_jobs", labels.merging(["state": state]) { a, _ in a }) == oracle.counts[state], "state \(state)")
        }
        #expect(f.value("bullmq_queue_paused", labels) == (oracle.paused ? 1 : 0))
        #expect(oracle.paused == paused)
        let age = try #require(f.value("bullmq_queue_oldest_waiting_job_age_seconds", labels))
        #expect(age >= 0 && age < 120)
        #expect(oracle.counts.values.allSatisfy { $0 >= 0 } && oracle.counts["completed"] == 3 && oracle.counts["active"] == 1)

        // The queue's events stream, written by BullMQ's own scripts, is checked by default,
        // and redis_exporter's -check-streams reads the same families from it.
        let events = ["db": "db\(db)", "stream": "bull:\(queue):events"]
        let length = try #require(f.value("redis_stream_length", events), "bull:\(queue):events is checked by default")
        let xlen = try RedisCollectorIntegrationTests.admin(url, db: db).command(["XLEN", "bull:\(queue):events"]).integer ?? -1
        #expect(length > 0 && length <= Double(xlen))
        #expect(f.value("redis_stream_groups", events) == 0, "BullMQ's QueueEvents read with XREAD, not groups")
        #expect(f.value("redis_stream_last_generated_id", events) ?? 0 > 1.7e12)
        guard let body = try RedisExporterComparisonTests.scrapeExporter(redisURL: url, countKeys: "db\(db)=bull:\(queue):meta",
                                                                         extraArguments: ["-check-streams", "db\(db)=bull:\(queue):events"]) else { return }
        let theirs = try ExpositionParser.parse(body)
        for name in ["redis_stream_length", "redis_stream_groups", "redis_stream_last_generated_id", "redis_stream_radix_tree_keys"] {
            let sample = theirs.first { $0.name == name }?.samples.first
            #expect(sample?.labels == events, "\(name) on the exporter's side")
            #expect(f[name]?.samples.first.map { Dictionary(uniqueKeysWithValues: $0.labels.map { ($0.name, $0.value) }) } == events)
        }
        #expect(theirs.first { $0.name == "redis_stream_length" }?.samples.first?.value ?? 0 >= length)
    }
}
