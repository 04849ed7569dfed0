import Foundation
import Testing
@testable import Rules

/// Prometheus 3.x semantics written in promqltest's script format (our own cases, expected values
/// worked out by hand or from the equivalent 2.x form), replayed by `PromQLTestScript`: Debian's
/// promtool 2.42 cannot parse this syntax, so it cannot be the oracle here.
@Suite("PromQL 3.x scripts in promqltest format")
struct PromQLTestScriptTests {
    static let files: [String] = {
        let dir = FixtureFiles.path("promqltest")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".test") }.sorted()
    }()

    @Test("every fixture file is found")
    func filesPresent() {
        #expect(Self.files.count >= 2)
    }

    @Test("every eval of the file answers as its expectation says", arguments: files)
    func replay(_ name: String) throws {
        let text = try String(contentsOfFile: FixtureFiles.path("promqltest/\(name)"), encoding: .utf8)
        let outcome = PromQLTestScript.run(text)
        let (failures, evals) = (outcome.failures, outcome.evals)
        #expect(evals > 5, "\(name) has only \(evals) evals")
        for f in failures { Issue.record("\(name): \(f)") }
    }

    /// A developer tool, not a CI test: `VIGIL_PROMQLTEST_DIR=/tmp/promtests swift test --filter
    /// prometheusTestdata` replays Prometheus' own `promql/promqltest/testdata/*.test` (fetched
    /// outside the repository, never committed) and prints, per file, the evals run, passed and
    /// skipped by reason; every failing eval in scope is recorded as an issue.
    @Test("Prometheus' own promqltest files in VIGIL_PROMQLTEST_DIR",
          .enabled(if: ProcessInfo.processInfo.environment["VIGIL_PROMQLTEST_DIR"] != nil))
    func prometheusTestdata() throws {
        let dir = ProcessInfo.processInfo.environment["VIGIL_PROMQLTEST_DIR"] ?? ""
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".test") }.sorted()
        var total = PromQLTestScript.Outcome()
        var report = ""
        for name in names {
            let text = try String(contentsOfFile: "\(dir)/\(name)", encoding: .utf8)
            let outcome = PromQLTestScript.run(text, outOfScope: PrometheusTestdataScope.outOfScope[name] ?? [:])
            let skipped = outcome.skipped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            report += "\(name): \(outcome.passed)/\(outcome.evals) passed; skipped: \(skipped.isEmpty ? "none" : skipped)\n"
            for f in outcome.failures {
                report += "  FAIL \(name) \(f)\n"
                Issue.record("\(name): \(f)")
            }
            total.evals += outcome.evals
            total.failures += outcome.failures
            total.skipped.merge(outcome.skipped, uniquingKeysWith: +)
        }
        let skipped = total.skipped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        report += "TOTAL: \(total.passed)/\(total.evals) in scope passed; out of scope: \(skipped)\n"
        print(report)
        if let path = ProcessInfo.processInfo.environment["VIGIL_PROMQLTEST_REPORT"] {
            try report.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    @Test("the runner fails a wrong expectation, a missing error and an unexpected error")
    func runnerCanFail() {
        let wrong = PromQLTestScript.run("load 1m\n  m 1 2 3\n\neval instant at 2m m\n  m 4\n")
        #expect(wrong.failures.count == 1)
        let noError = PromQLTestScript.run("load 1m\n  m 1\n\neval_fail instant at 0m m\n")
        #expect(noError.failures.count == 1)
        let error = PromQLTestScript.run("eval instant at 0m m[0]\n")
        #expect(error.failures.count == 1)
        let right = PromQLTestScript.run("load 1m\n  m 1 2 3\n\neval range from 0 to 2m step 1m m\n  m 1 2 3\n")
        #expect(right.failures.isEmpty && right.evals == 1)
    }

    @Test("the runner checks the range-mode and @ variants of an instant eval and skips what is out of scope")
    func runnerVariants() {
        // time() differs between the instant and the range-mode run only if the runner got the steps wrong.
        let time = PromQLTestScript.run("eval instant at 2m time()\n  120\n")
        #expect(time.failures.isEmpty && time.evals == 1)
        // A selector under @ 2m must answer the same at other evaluation times.
        let at = PromQLTestScript.run("load 1m\n  m 1 2 3\n\neval instant at 2m m\n  m 3\n")
        #expect(at.failures.isEmpty)
        let native = PromQLTestScript.run("load 1m\n  h {{schema:0 sum:1 count:1}}\n\neval instant at 0m h\n  h 1\n")
        #expect(native.evals == 0 && native.skipped["native histograms"] == 1)
        let flagged = PromQLTestScript.run("load 1m\n  m 1\n\neval instant at 0m sort_by_label(m, \"a\")\n  m 1\n")
        #expect(flagged.evals == 0 && flagged.skipped["experimental functions"] == 1)
        let string = PromQLTestScript.run("eval instant at 0m \"a\"\n  expect string \"a\"\n")
        #expect(string.failures.isEmpty && string.evals == 1)
        let ordered = PromQLTestScript.run("load 1m\n  m{a=\"1\"} 2\n  m{a=\"2\"} 1\n\neval instant at 0m sort(m)\n  expect ordered\n  m{a=\"1\"} 2\n  m{a=\"2\"} 1\n")
        #expect(ordered.failures.count == 1)
    }
}

/// Evals of Prometheus 3.14's own test files that parse without feature flags but whose expected
/// answers need one (a stock Prometheus 3.14 fails them too), by file and line, with the reason.
/// promqltest runs them with `EnableDelayedNameRemoval` and `UseStartTimestamps` on; a stock
/// Prometheus has both off (`--enable-feature=promql-delayed-name-removal`, `use-start-timestamps`).
/// Each line was checked against Prometheus' engine.go: without delayed name removal `rate(…)`
/// drops `__name__` (and `__type__`/`__unit__`) before `label_replace`, `sum by (__name__)` or a
/// set operator sees it, so the expected answer needs the flag; without start timestamps the
/// `@st` lines are ignored and the expected increases need them.
enum PrometheusTestdataScope {
    static let delayedNameRemoval = "delayed name removal"
    static let startTimestamps = "start timestamps"

    static let outOfScope: [String: [Int: String]] = [
        "name_label_dropping.test": Dictionary(uniqueKeysWithValues: [59, 64, 69, 74, 89, 115, 119, 123].map { ($0, delayedNameRemoval) }),
        "type_and_unit.test": Dictionary(uniqueKeysWithValues: [77, 92, 222, 237].map { ($0, delayedNameRemoval) }),
        "start_timestamps.test": Dictionary(uniqueKeysWithValues: [8, 13, 18, 24, 42, 66, 74, 82, 144, 169, 189, 276, 289].map { ($0, startTimestamps) }),
    ]
}
