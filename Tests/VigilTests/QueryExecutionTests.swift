import Dispatch
import Foundation
import Synchronization
import Testing
import VigilTestSupport

/// API queries on the real binary: off the HTTP threads, bounded in concurrency, time and
/// samples, and cancelled by SIGTERM.
@Suite("vigil query execution", .serialized)
struct QueryExecutionTests {
    /// 10,000 outer × 10,000 inner subquery steps over one series: hours of work unbounded.
    static let heavy = "max_over_time(max_over_time(vigil_build_info[10s:1ms])[10s:1ms])"

    /// A configuration with extra `web:` keys: VigilProcess writes `web:` + `listen_address`
    /// first, so indented lines at the top continue that mapping.
    static func config(web: [String] = []) -> String {
        web.map { "  \($0)\n" }.joined() + "global: {collect_interval: 1s}\n"
    }

    static func path(_ query: String, _ extra: String = "") -> String {
        "/api/v1/query?query=" + (query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query) + extra
    }

    struct Outcome: Sendable {
        var status: Int
        var body: String
        var seconds: Double
    }

    /// Starts `count` requests for `path`, each on a thread of its own (Dispatch's global queue
    /// would start only as many as there are cores), and `wait` returns their outcomes.
    final class InFlight: @unchecked Sendable {
        private let results = Mutex<[Outcome]>([])
        private let group = DispatchGroup()

        init(port: Int, path: String, count: Int, timeout: Double = 20) {
            for _ in 0..<count {
                group.enter()
                Thread.detachNewThread { [self] in
                    let start = Date()
                    let outcome: Outcome
                    do {
                        let r = try HTTPTestClient.request(port: port, path: path, timeout: timeout)
                        outcome = Outcome(status: r.status, body: r.text, seconds: Date().timeIntervalSince(start))
                    } catch {
                        outcome = Outcome(status: 0, body: "\(error)", seconds: Date().timeIntervalSince(start))
                    }
                    results.withLock { $0.append(outcome) }
                    group.leave()
                }
            }
        }

        func wait(_ seconds: Double = 30) -> [Outcome] {
            _ = group.wait(timeout: .now() + seconds)
            return results.withLock { $0 }
        }
    }

    @Test("four heavy queries in flight: /metrics and /-/healthy answer within 1 s; the queries end at the deadline with 503 timeout")
    func heavyQueriesDoNotBlockServing() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let vigil = try VigilProcess(binary: bin, config: Self.config(web: ["query_timeout: 3s"]))
        #expect(vigil.waitReady())
        let queries = InFlight(port: vigil.port, path: Self.path(Self.heavy), count: 4)
        Thread.sleep(forTimeInterval: 0.5)
        for path in ["/metrics", "/-/healthy"] {
            let latencies = try freshClientLatencies(port: vigil.port, path: path, samples: 5)
            #expect(latencies.allSatisfy { $0 < 1 }, "\(path): \(latencies)")
        }
        let outcomes = queries.wait()
        #expect(outcomes.count == 4)
        for o in outcomes {
            #expect(o.status == 503, "\(o)")
            #expect(o.body.contains("\"errorType\":\"timeout\""), "\(o)")
            #expect(o.body.contains("query timed out in "), "\(o)")
            // Two evaluate at once and two wait: every one ends at its own deadline, 3 s after arrival.
            #expect(o.seconds > 2.5 && o.seconds < 6, "\(o)")
        }
        // An ordinary query is unaffected.
        let ok = try vigil.get(Self.path("vigil_build_info * 2"))
        #expect(ok.status == 200 && ok.text.contains("\"resultType\":\"vector\""))
        #expect(vigil.terminate().status == 0)
    }

    @Test("the timeout parameter shortens the configured timeout, never lengthens it; a bad one is 400")
    func timeoutParameter() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let vigil = try VigilProcess(binary: bin, config: Self.config(web: ["query_timeout: 2s"]))
        #expect(vigil.waitReady())
        let start = Date()
        let short = try vigil.get(Self.path(Self.heavy, "&timeout=500ms"), timeout: 10)
        let took = Date().timeIntervalSince(start)
        #expect(short.status == 503 && short.text.contains("\"errorType\":\"timeout\""), "\(short.text)")
        #expect(took < 1.5, "took \(took) s with timeout=500ms")
        let seconds = try vigil.get(Self.path(Self.heavy, "&timeout=0.3"), timeout: 10)
        #expect(seconds.status == 503)
        let longStart = Date()
        let long = try vigil.get(Self.path(Self.heavy, "&timeout=1h"), timeout: 10)
        #expect(long.status == 503 && Date().timeIntervalSince(longStart) < 4, "the configured 2s wins over 1h")
        let bad = try vigil.get(Self.path("vigil_build_info", "&timeout=soon"))
        #expect(bad.status == 400)
        #expect(bad.text.contains("invalid parameter \\\"timeout\\\""), "\(bad.text)")
        #expect(vigil.terminate().status == 0)
    }

    @Test("the sample budget stops a query with 422 execution, as Prometheus' --query.max-samples does")
    func sampleBudget() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let vigil = try VigilProcess(binary: bin, config: Self.config(web: ["query_max_samples: 1000"]))
        #expect(vigil.waitReady())
        // Two seconds of history: 2,000 one-millisecond steps find vigil_build_info.
        Thread.sleep(forTimeInterval: 2)
        // Samples produced by subquery steps count (vector(1) loads none), and so do loaded ones.
        for query in ["max_over_time(max_over_time(vector(1)[10s:1ms])[10s:1ms])", "count_over_time(vigil_build_info[10s:1ms])"] {
            let start = Date()
            let r = try vigil.get(Self.path(query), timeout: 20)
            #expect(r.status == 422, "\(query): \(r.text)")
            #expect(r.text.contains("\"errorType\":\"execution\""))
            #expect(r.text.contains("query processing would load too many samples into memory in query execution"), "\(r.text)")
            #expect(Date().timeIntervalSince(start) < 5)
        }
        #expect(try vigil.get(Self.path("vigil_build_info")).status == 200)
        #expect(vigil.terminate().status == 0)
    }

    @Test("past the running and waiting queries, a new query is refused at once with 503")
    func queueFull() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        // One evaluating, four waiting.
        let vigil = try VigilProcess(binary: bin, config: Self.config(web: ["query_max_concurrency: 1", "query_timeout: 4s"]))
        #expect(vigil.waitReady())
        let queries = InFlight(port: vigil.port, path: Self.path(Self.heavy), count: 5)
        Thread.sleep(forTimeInterval: 1)
        let start = Date()
        let refused = try vigil.get(Self.path("vigil_build_info"))
        #expect(Date().timeIntervalSince(start) < 1)
        #expect(refused.status == 503)
        #expect(refused.text.contains("\"errorType\":\"unavailable\"") && refused.text.contains("too many queries"), "\(refused.text)")
        #expect(queries.wait().allSatisfy { $0.status == 503 })
        #expect(try vigil.get(Self.path("vigil_build_info")).status == 200)
        #expect(vigil.terminate().status == 0)
    }

    @Test("SIGTERM with four heavy queries in flight exits 0 within 5 s, and their clients get 503")
    func sigtermWithQueriesInFlight() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let vigil = try VigilProcess(binary: bin, config: Self.config(web: ["query_timeout: 1m"]))
        #expect(vigil.waitReady())
        let queries = InFlight(port: vigil.port, path: Self.path(Self.heavy), count: 4)
        Thread.sleep(forTimeInterval: 1)
        let (status, seconds) = vigil.terminate(timeout: 10)
        #expect(status == 0)
        #expect(seconds < 5)
        let outcomes = queries.wait(10)
        #expect(outcomes.count == 4)
        for o in outcomes {
            #expect(o.status == 503, "\(o)")
            #expect(o.body.contains("shutting down"), "\(o)")
        }
    }
}
