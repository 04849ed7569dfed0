import Foundation
import Logging
import RemoteWrite
import Testing
import VigilCore
import VigilTestSupport

/// One remote's queue and sending thread against the Python receiver (its own snappy and
/// protobuf decoders) and against a port nobody listens on.
@Suite("Remote writer", .serialized)
struct RemoteWriterTests {
    static func families(_ n: Int, offset: Int = 0) -> [MetricFamily] {
        [.gauge("rw_test", "t", (0..<n).map { Sample(["i": String($0 + offset)], Double($0)) })]
    }

    static func config(_ url: String, capacity: Int = 100_000, deadline: Double = 600) -> RemoteWriteConfig {
        var c = RemoteWriteConfig(url: url, name: "t")
        c.queue.capacity = capacity
        c.queue.batchSendDeadline = deadline
        c.queue.minBackoff = 0.05
        c.queue.maxBackoff = 0.1
        c.remoteTimeout = 2
        return c
    }

    @Test("stopping flushes what waits (the batch deadline not reached) to a live receiver, every sample decoded there")
    func flushOnStop() throws {
        guard TestEnvironment.tool("python3") != nil else { return }
        let sink = try RemoteWriteSink()
        var config = Self.config(sink.url("/w"))
        config.queue.maxSamplesPerSend = 5000  // neither full nor due: only stopping sends
        let writer = RemoteWriter(config: config, externalLabels: ["env": "t"], userAgent: "test",
                                  logger: Logger(label: "test"))
        writer.start()
        writer.append(Self.families(1500), timestamp: 1_000)
        writer.append(Self.families(700, offset: 1500), timestamp: 2_000)
        #expect(writer.currentStats.pending == 2200)
        #expect(writer.stop(flushTimeout: 10))
        let stats = writer.currentStats
        #expect(stats.samples == 2200 && stats.dropped == 0 && stats.failed == 0 && stats.pending == 0)
        let state = try sink.state("/w")
        #expect(state.total == 2200)
        #expect(Set(state.samples.map { $0.labels["i"] ?? "" }).count == 2200)
        #expect(state.samples.allSatisfy { $0.labels["env"] == "t" && $0.labels["__name__"] == "rw_test" })
        #expect(state.samples.filter { $0.timestamp == 2_000 }.count == 700)
        #expect(stats.highestSent == 2)
    }

    @Test("against a dead receiver the queue stays within its capacity, the overflow is counted, and stopping gives up within its flush timeout, counting the loss")
    func deadReceiver() throws {
        let port = try SilentListener.freePort()
        let writer = RemoteWriter(config: Self.config("http://127.0.0.1:\(port)/w", capacity: 100, deadline: 0.01),
                                  externalLabels: [:], userAgent: "test", logger: Logger(label: "test"))
        writer.start()
        writer.append(Self.families(60), timestamp: 1)
        #expect(eventually(10) { writer.currentStats.retried > 0 })
        for round in 0..<5 { writer.append(Self.families(60, offset: 60 * (round + 1)), timestamp: Int64(round + 2)) }
        let during = writer.currentStats
        #expect(during.pending <= 100)
        #expect(during.overflowed > 0 && during.overflowed == during.dropped)
        #expect(during.received == 360 && during.received == during.samples + during.dropped + during.pending)
        let started = Date()
        #expect(writer.stop(flushTimeout: 0.5))
        #expect(Date().timeIntervalSince(started) < 4)
        let after = writer.currentStats
        #expect(after.pending == 0 && after.failed == 0)
        #expect(after.dropped == during.dropped + during.pending + during.samples)
    }
}
