import Foundation
import Testing
@testable import Rules

/// Parsing and evaluation are linear in the size of the expression. Measured as a ratio of
/// the CPU times (of the test's own thread) of a 10× larger expression, each the best of a few runs: linear work gives about 10,
/// quadratic about 100; the bound 30 leaves room for a noisy machine either way.
@Suite("PromQL cost is linear in expression size")
struct ExpressionSizeTests {
    /// `((x + x) + (x + x))…` with `n` leaves: 20,000 terms nest only ~31 levels.
    static func balanced(_ n: Int) -> String {
        n == 1 ? "x" : "(" + balanced(n / 2) + " + " + balanced(n - n / 2) + ")"
    }

    static let history: SeriesHistory = {
        var h = SeriesHistory(retention: Int64.max / 4)
        for i in 0..<3 {
            _ = h.append(["__name__": "x", "i": "\(i)"], t: 0, value: Double(i))
        }
        return h
    }()

    /// The CPU time this thread spent in `body`, the best of `runs`: time the thread waits for a
    /// core on a loaded machine is not counted, so the ratio measures the work, not the load.
    static func bestTime(runs: Int = 5, _ body: () throws -> Void) rethrows -> Duration {
        func threadCPU() -> Duration {
            var ts = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            return .seconds(ts.tv_sec) + .nanoseconds(ts.tv_nsec)
        }
        var best = Duration.seconds(1_000)
        for _ in 0..<runs {
            let start = threadCPU()
            try body()
            best = min(best, threadCPU() - start)
        }
        return best
    }

    static func ratio(_ large: Duration, _ small: Duration) -> Double {
        let s = small.seconds
        let l = large.seconds
        return l / max(s, 1e-6)
    }

    @Test("20,000 terms parse, evaluate and render in about 10 times the time of 2,000")
    func balancedTrees() throws {
        let small = Self.balanced(2_000), large = Self.balanced(20_000)
        func work(_ text: String) throws {
            let e = try PromQL.parse(text)
            let v = try Evaluator(history: Self.history).instant(e, at: 0)
            guard case .vector(let samples) = v, samples.count == 3 else { throw EvalError("unexpected result \(v)") }
            _ = e.description
        }
        let ts = try Self.bestTime { try work(small) }
        let tl = try Self.bestTime(runs: 3) { try work(large) }
        let r = Self.ratio(tl, ts)
        print("PromQL size: 2,000 terms \(ts), 20,000 terms \(tl), ratio \(r)")
        #expect(r < 30, "2,000 terms: \(ts), 20,000 terms: \(tl)")
    }

    @Test("a flat chain longer than the depth limit is refused, and refusing it is linear")
    func flatChains() {
        func chain(_ n: Int) -> String { Array(repeating: "x", count: n).joined(separator: " + ") }
        let message: String
        do { _ = try PromQL.parse(chain(20_000)); message = "parsed" } catch { message = error.description }
        // The operator that would make the tree one level too high: the 64th "+", at byte 4 × 64 - 2.
        #expect(message == "1:\(4 * Parser.maxDepth - 1): parse error: expression nested too deeply (more than \(Parser.maxDepth) levels)")
        #expect((try? PromQL.parse(chain(Parser.maxDepth))) != nil)
        let ts = Self.bestTime { _ = try? PromQL.parse(chain(20_000)) }
        let tl = Self.bestTime { _ = try? PromQL.parse(chain(200_000)) }
        #expect(Self.ratio(tl, ts) < 30, "20,000 terms: \(ts), 200,000 terms: \(tl)")
    }

    @Test("a type error in every one of 20,000 operators costs no more than one")
    func manyTypeErrors() {
        // Each `"s" + "s"` is a type error; only the first is built (each scans the input).
        let text = Self.balanced(20_000).replacingOccurrences(of: "x", with: "\"s\"")
        let start = ContinuousClock.now
        #expect(throws: PromQLError.self) { try PromQL.parse(text) }
        let small = Self.balanced(2_000).replacingOccurrences(of: "x", with: "\"s\"")
        let ts = Self.bestTime { _ = try? PromQL.parse(small) }
        let tl = Self.bestTime { _ = try? PromQL.parse(text) }
        #expect(Self.ratio(tl, ts) < 30, "first run \(ContinuousClock.now - start)")
    }
}
