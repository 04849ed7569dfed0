import Foundation
import Synchronization
import Notify
import Rules
import Testing
import VigilCore
import VigilTestSupport
@testable import Vigil

/// Mutations of real files: byte flips, huge numbers and durations, deep nesting, anchors and
/// aliases (billion laughs), very long lines, non-UTF-8 bytes, cuts and duplicated lines.
enum Mutator {
    static let hugeNumbers = ["9223372036854775807", "99999999999999999999999", "-1", "0", "1e308", "-9223372036854775808",
                              "NaN", "+Inf", "4294967296", "65536", "0x10", "1_000"]
    static let hugeDurations = ["999999999999999y", "9223372036854775807s", "292y", "1000y", "0ms", "106751d", "1ms",
                                "18446744073709551616ms", "1y1y", "5m5s5ms5"]
    static let structural: [String] = [":", "- ", "[", "]", "{", "}", "&a ", "*a", "!!binary ", "|", ">", "'", "\"", "#", "? ", ",", "\t", "\r", "%YAML 1.1\n", "---\n", "...\n", "<<: *a\n"]

    static func billionLaughs(levels: Int, keyed: Bool) -> String {
        var s = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<levels {
            s += "l\(i): &l\(i) [" + Array(repeating: "*l\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        if keyed { s += "? *l\(levels - 1)\n: 1\n*l\(levels - 1) : 2\n" } else { s += "last: *l\(levels - 1)\n" }
        return s
    }

    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> (bytes: [UInt8], kind: String) {
        var b = input
        func position() -> Int { b.isEmpty ? 0 : Int.random(in: 0..<b.count, using: &rng) }
        func replaceToken(where isPart: (UInt8) -> Bool, with text: String) {
            let starts = b.indices.filter { isPart(b[$0]) && ($0 == 0 || !isPart(b[$0 - 1])) }
            guard let start = starts.randomElement(using: &rng) else { return }
            var end = start
            while end < b.count, isPart(b[end]) || (b[end] >= 97 && b[end] <= 122) { end += 1 }
            b.replaceSubrange(start..<end, with: Array(text.utf8))
        }
        let kind = Int.random(in: 0..<11, using: &rng)
        switch kind {
        case 0:
            for _ in 0..<Int.random(in: 1...4, using: &rng) where !b.isEmpty { b[position()] = UInt8.random(in: 0...255, using: &rng) }
            return (b, "byte flips")
        case 1:
            replaceToken(where: { $0 >= 48 && $0 <= 57 }, with: hugeNumbers.randomElement(using: &rng)!)
            return (b, "huge number")
        case 2:
            replaceToken(where: { $0 >= 48 && $0 <= 57 }, with: hugeDurations.randomElement(using: &rng)!)
            return (b, "huge duration")
        case 3:
            let n = [10, 100, 999, 1001, 5000].randomElement(using: &rng)!
            let open = Bool.random(using: &rng) ? "[" : "{a: "
            let close = open == "[" ? "]" : "}"
            let nested = String(repeating: open, count: n) + "x" + String(repeating: close, count: n)
            b.insert(contentsOf: Array(" \(nested)".utf8), at: lineEnd(b, position()))
            return (b, "deep nesting \(n)")
        case 4:
            let laughs = billionLaughs(levels: Int.random(in: 3...9, using: &rng), keyed: Bool.random(using: &rng))
            if Bool.random(using: &rng) { b = Array(laughs.utf8) + b } else { b += Array(("\n" + laughs).utf8) }
            return (b, "billion laughs")
        case 5:
            let long = String(repeating: Bool.random(using: &rng) ? "a" : "9", count: Int.random(in: 5_000...50_000, using: &rng))
            b.insert(contentsOf: Array(long.utf8), at: position())
            return (b, "long line")
        case 6:
            let bad: [[UInt8]] = [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0x00], [0x07], [0x1B], [0x7F], [0xC2, 0x85]]
            b.insert(contentsOf: bad.randomElement(using: &rng)!, at: position())
            return (b, "bad bytes")
        case 7:
            let s = structural.randomElement(using: &rng)!
            b.insert(contentsOf: Array(s.utf8), at: position())
            return (b, "structural")
        case 8:
            let p = position()
            b.removeSubrange(p..<min(b.count, p + Int.random(in: 1...200, using: &rng)))
            return (b, "cut")
        case 9:
            let lines = b.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
            guard !lines.isEmpty else { return (b, "noop") }
            let i = Int.random(in: 0..<lines.count, using: &rng)
            var out = lines
            out.insert(lines[i], at: Int.random(in: 0...lines.count, using: &rng))
            return (Array(out.joined(separator: [10])), "duplicated line")
        default:
            b = Array(b.prefix(position()))
            return (b, "truncated")
        }
    }

    static func lineEnd(_ b: [UInt8], _ from: Int) -> Int {
        var i = from
        while i < b.count, b[i] != 10 { i += 1 }
        return i
    }
}

/// The property every reader keeps, whatever the bytes: a valid result or one positioned
/// error naming the file, never a crash or a hang.
@Suite("Fuzzing the configuration, notifier, rule file and rule test readers")
struct ConfigFuzzTests {
    static let seed: UInt64 = ProcessInfo.processInfo.environment["VIGIL_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED_C0FF_EE00_0009
    static let root = Fixtures.repositoryRoot

    /// The files, with the examples' `/run/secrets/…` pointing at readable stand-ins so the
    /// unmutated examples are valid and mutations reach past the secrets.
    static func corpus(_ paths: [String]) -> [(name: String, bytes: [UInt8])] {
        paths.compactMap { p in
            guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(p).path) else { return nil }
            let text = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "/run/secrets/", with: secrets + "/")
            return (p, Array(text.utf8))
        }
    }

    static let secrets: String = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-fuzz-secrets-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in ["vigil-replica-1-dsn", "redis-password", "hook-password", "hook-hmac", "pagerduty-key",
                     "slack-webhook-url", "discord-webhook-url", "teams-workflow-url"] {
            let value = name.hasSuffix("dsn") ? "postgresql://vigil:pw@replica-1/app" : name.hasSuffix("url") ? "https://hooks.example.com/T0/B0/x" : "pw"
            try? (value + "\n").write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return dir.path
    }()

    static var configCorpus: [(name: String, bytes: [UInt8])] {
        corpus(["examples/vigil.yml"]) + Fixtures.badConfigs.compactMap { f in
            FileManager.default.contents(atPath: f).map { (URL(fileURLWithPath: f).lastPathComponent, Array($0)) }
        }
    }

    static var ruleCorpus: [(name: String, bytes: [UInt8])] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("rules").path)) ?? []
        return corpus(names.filter { $0.hasSuffix(".yml") }.sorted().map { "rules/\($0)" } + ["examples/demo-rules.yml"])
    }

    /// Runs `body` on a thread with a 1 MiB stack (smaller than any thread that parses in
    /// Vigil) and waits at most `seconds`; false when it did not finish.
    static func bounded(_ seconds: Double, _ body: @escaping @Sendable () -> Void) -> Bool {
        Fuzzing.bounded(seconds, body) != nil
    }

    /// One error that names the file, on one line.
    static func checkError(_ error: any Error, file: String, case label: String) {
        guard let positioned = error as? PositionedError else {
            Issue.record("\(label): not a positioned error: \(type(of: error)) \(error)")
            return
        }
        let text = positioned.description
        #expect(text.hasPrefix(file), "\(label): \(text)")
        #expect(!text.contains("\n"), "\(label): \(text)")
        #expect(!positioned.message.isEmpty, "\(label)")
    }

    struct Tally: Sendable {
        var cases = 0
        var valid = 0
        var errors = 0
        var slowest = 0.0
        var kinds: [String: Int] = [:]
    }

    static func run(name: String, corpus: [(name: String, bytes: [UInt8])], cases: Int, seedOffset: UInt64,
                    parse: @escaping @Sendable (String, String) throws -> Void) -> Tally {
        var rng = SplitMix64(state: seed &+ seedOffset)
        var tally = Tally()
        let began = Date()
        for index in 0..<cases {
            guard let base = corpus.randomElement(using: &rng) else { break }
            var (bytes, kind) = Mutator.mutate(base.bytes, &rng)
            if Int.random(in: 0..<3, using: &rng) == 0 { (bytes, kind) = Mutator.mutate(bytes, &rng) }
            let label = "\(name) case \(index) (seed \(seed), \(base.name), \(kind))"
            let file = "fuzz-\(index).yml"
            let frozen = bytes
            let outcome = Mutex<Result<Void, any Error>?>(nil)
            let started = Date()
            let finished = bounded(10) {
                let r = Result<Void, any Error> {
                    let text = try StrictYAMLContext.decodeUTF8(frozen, file: file)
                    try parse(text, file)
                }
                outcome.withLock { $0 = r }
            }
            tally.slowest = max(tally.slowest, Date().timeIntervalSince(started))
            tally.cases += 1
            tally.kinds[kind.split(separator: " ").prefix(2).joined(separator: " "), default: 0] += 1
            guard finished else {
                Issue.record("\(label): no answer within 10 s")
                continue
            }
            switch outcome.withLock({ $0 }) {
            case .success: tally.valid += 1
            case .failure(let error):
                tally.errors += 1
                if ProcessInfo.processInfo.environment["VIGIL_FUZZ_VERBOSE"] != nil { print("\(label): \(error)") }
                checkError(error, file: file, case: label)
            case nil: Issue.record("\(label): no outcome")
            }
        }
        print("fuzz \(name): seed \(seed), \(tally.cases) cases, \(tally.valid) valid, \(tally.errors) positioned errors, slowest \(String(format: "%.3f", tally.slowest)) s, \(String(format: "%.1f", Date().timeIntervalSince(began))) s in all")
        return tally
    }

    static let emptyDirectory: String = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }()

    @Test("mutated configuration files give a configuration or one positioned error")
    func configurations() {
        let base = Self.emptyDirectory
        let t = Self.run(name: "config", corpus: Self.configCorpus, cases: 1000, seedOffset: 1) { text, file in
            let config = try VigilConfig.parse(yaml: text, file: file, environment: ["VIGIL_PG_PASSWORD": "pw"], baseDirectory: base)
            _ = config.renderedYAML()
        }
        #expect(t.cases == 1000 && t.valid > 0 && t.errors > 0)
    }

    @Test("mutated rule files load or give one positioned error")
    func ruleFiles() {
        let t = Self.run(name: "rule files", corpus: Self.ruleCorpus, cases: 800, seedOffset: 2) { text, file in
            _ = try RuleFile.parse(text: text, file: file)
        }
        #expect(t.cases == 800 && t.valid > 0 && t.errors > 0)
    }

    @Test("mutated notifier sections parse or give one positioned error")
    func notifier() {
        let t = Self.run(name: "notifier", corpus: Self.corpus(["examples/alerting.yml"]), cases: 400, seedOffset: 3) { text, file in
            _ = try NotifyConfig.parse(yaml: text, file: file, environment: [:], baseDirectory: Self.emptyDirectory)
        }
        #expect(t.cases == 400 && t.valid > 0 && t.errors > 0)
    }

    @Test("mutated rule test files run or report their error, within bounds")
    func ruleTests() throws {
        // The test files name their rule files relative to themselves: mutate copies next to
        // copies of the shipped rules.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-fuzz-rules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("tests"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, bytes) in Self.ruleCorpus where name.hasPrefix("rules/") {
            #expect(FileManager.default.createFile(atPath: dir.appendingPathComponent(String(name.dropFirst(6))).path, contents: Data(bytes)))
        }
        let tests = ((try? FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("rules/tests").path)) ?? [])
            .filter { $0.hasSuffix(".yml") }.sorted().map { "rules/tests/\($0)" }
        let testsDir = dir.appendingPathComponent("tests").path
        let t = Self.run(name: "rule tests", corpus: Self.corpus(tests), cases: 40, seedOffset: 4) { text, file in
            let path = "\(testsDir)/\(file)"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            // The composer's checks first (as the runner's reader applies them), then the run.
            _ = try StrictYAMLContext(file: file).root(text)
            let report = RuleTestRunner.run(path: path)
            #expect(!report.text.isEmpty)
        }
        #expect(t.cases == 40 && t.valid > 0)
    }

    @Test("aliases to nested anchors as keys are refused at their line before they are expanded")
    func billionLaughs() {
        let keyed = Mutator.billionLaughs(levels: 9, keyed: true)
        let keyedOutcome = Mutex<Result<VigilConfig, any Error>?>(nil)
        #expect(Self.bounded(5) {
            let r = Result { try VigilConfig.parse(yaml: keyed, file: "laughs.yml", environment: [:]) }
            keyedOutcome.withLock { $0 = r }
        })
        if case .failure(let e as PositionedError) = keyedOutcome.withLock({ $0 }) {
            #expect(e.line == 10 && e.message.contains("explicit mapping keys"), "\(e)")
        } else {
            Issue.record("not refused with a positioned error: \(String(describing: keyedOutcome.withLock { $0 }))")
        }
        let valued = Mutator.billionLaughs(levels: 9, keyed: false)
        let valuedOutcome = Mutex<(config: Bool, rules: Bool)>((false, false))
        #expect(Self.bounded(5) {
            let config = (try? VigilConfig.parse(yaml: valued, file: "laughs.yml", environment: [:])) == nil
            let rules = (try? RuleFile.parse(text: "groups: []\n" + valued, file: "laughs.yml")) == nil
            valuedOutcome.withLock { $0 = (config, rules) }
        })
        // Aliases as values compose without expansion; the unknown keys l0… are then refused.
        #expect(valuedOutcome.withLock { $0 } == (true, true))
    }
}
