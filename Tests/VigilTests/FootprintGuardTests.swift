import Foundation
import Testing
import VigilTestSupport

/// A guard, not the benchmark (that is scripts/bench-footprint, on the release build): the
/// binary under test, collecting PostgreSQL and Redis with the shipped rules, stays under a
/// generous resident-memory bound once its first rounds are done.
@Suite("resident memory guard", .serialized)
struct FootprintGuardTests {
    /// Debug builds link Swift's runtime and Foundation dynamically and hold more than the
    /// release binary's ~15 MiB; this bound catches a lost saving or a leak, not a few MiB.
    static let boundBytes = 96.0 * 1024 * 1024

    @Test("idle resident memory stays under the bound")
    func idleBound() throws {
        guard let bin = TestEnvironment.vigilBinary, let pg = TestEnvironment.postgresDSN, let redis = TestEnvironment.redisURL else { return }
        let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../rules/*.yml").standardized.path
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = EndToEndTests.config(pg: pg, redis: redis)
            .replacingOccurrences(of: "global:\n", with: "global:\n  state_dir: \"\(dir.path)/state\"\n")
            + "rule_files: [\"\(rules)\"]\n"
        let vigil = try VigilProcess(binary: bin, config: config)
        #expect(vigil.waitReady(), "never ready; log:\n\(vigil.log)")
        // A few 1 s rounds after readiness: the start-up pages are released after the first.
        Thread.sleep(forTimeInterval: 4)
        let rss = try #require(VigilProcess.value("process_resident_memory_bytes", in: vigil.metrics()))
        #expect(rss > 0 && rss < Self.boundBytes, "resident \(rss / 1024 / 1024) MiB, bound \(Self.boundBytes / 1024 / 1024) MiB")
        #expect(vigil.terminate().status == 0)
    }
}
