import Foundation
import Testing
import VigilTestSupport
@testable import VigilCore

/// A seeded, bounded mutation run over the exposition text parser. Properties: no crash, no
/// slow case, a parsed sample always has a name, and CRLF line ends parse like LF ones.
@Suite("Exposition parser fuzz")
struct ExpositionParserFuzzTests {
    static let corpus = """
        # HELP pg_up Whether the last scrape of PostgreSQL succeeded.
        # TYPE pg_up gauge
        pg_up{server="a"} 1
        # TYPE pg_stat_database_xact_commit_total counter
        pg_stat_database_xact_commit_total{datname="postgres",server="a"} 1234 1700000000000
        # TYPE h histogram
        h_bucket{le="0.5"} 1
        h_bucket{le="+Inf"} 2
        h_sum 0.7
        h_count 2
        # TYPE s summary
        s{quantile="0.99",path="/a \\"b\\"\\n"} NaN
        s_sum -Inf
        s_count 5e3
        redis_up 1

        """

    static let pieces = ["{", "}", "=", "\"", ",", " ", "\t", "\n", "\r\n", "\r", "\\", "\\n", "#", "# TYPE ", "# HELP ",
                         "_bucket", "_total", "le", "+Inf", "NaN", "1e308", "-0", "0x1p3", "\u{0}", "\u{301}", "\u{1F600}", "\u{e9}"]

    static func mutate(_ s: String, _ rng: inout SplitMix64) -> String {
        var chars = Array(s)
        let at = rng.below(chars.count + 1)
        switch rng.below(5) {
        case 0: chars.insert(contentsOf: pieces[rng.below(pieces.count)], at: at)
        case 1: if !chars.isEmpty { chars.removeSubrange(at..<min(chars.count, at + 1 + rng.below(10))) }
        case 2: if at < chars.count { chars[at] = Character(Unicode.Scalar(UInt8(rng.below(128)))) }
        case 3: chars.insert(contentsOf: String(repeating: pieces[rng.below(pieces.count)], count: 1 + rng.below(200)), at: at)
        default:
            let span = chars[min(at, chars.count)..<min(chars.count, at + rng.below(40))]
            chars.insert(contentsOf: span, at: rng.below(chars.count + 1))
        }
        return String(chars)
    }

    static func check(_ text: String) -> String? {
        guard let families = try? ExpositionParser.parse(text) else { return nil }
        for f in families where f.samples.contains(where: { $0.name.isEmpty }) { return "sample without a name in \(f.name)" }
        return nil
    }

    @Test("mutated exposition text never crashes or hangs the parser")
    func mutations() {
        let seed = Fuzzing.seed()
        let count = Fuzzing.cases(3_000)
        print("Exposition fuzz: seed \(seed), \(count) cases")
        var rng = SplitMix64(state: seed)
        var parsed = 0
        for i in 0..<count {
            var text = Self.corpus
            for _ in 0..<(1 + rng.below(6)) { text = Self.mutate(text, &rng) }
            let start = ContinuousClock.now
            if let problem = Self.check(text) { Issue.record("case \(i) (seed \(seed)): \(problem)\ninput: \(text.debugDescription)") }
            let took = ContinuousClock.now - start
            if took > .seconds(5) { Issue.record("case \(i) (seed \(seed)) took \(took)") }
            if (try? ExpositionParser.parse(text)) != nil { parsed += 1 }
        }
        print("Exposition fuzz: \(parsed) of \(count) mutated inputs parsed")
        #expect(parsed > count / 20)
    }

    /// Families as text with sorted labels (the corpus holds a NaN sample, and NaN != NaN).
    static func canonical(_ families: [ExpositionParser.ParsedFamily]) -> [String] {
        families.map { f in
            "\(f.name) \(f.type) \(f.help ?? "-"): " + f.samples.map { s in
                s.name + s.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.debugDescription)" }.joined(separator: ",") + " \(s.value)"
            }.joined(separator: "; ")
        }
    }

    @Test("CRLF line ends parse exactly like LF ones")
    func crlf() throws {
        let lf = try ExpositionParser.parse(Self.corpus)
        let crlf = try ExpositionParser.parse(Self.corpus.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(lf.count == 5)
        #expect(Self.canonical(crlf) == Self.canonical(lf))
    }
}
