import Foundation
import VigilTestSupport
@testable import Rules

enum Fuzz {
    /// `VIGIL_FUZZ_SEED`, `VIGIL_FUZZ_CASES` and `VIGIL_FUZZ_TRACE`, as every fuzz run reads them.
    static var seed: UInt64 { Fuzzing.seed() }
    static func cases(_ defaultCount: Int) -> Int { Fuzzing.cases(defaultCount) }
    static func trace(_ input: String) { Fuzzing.trace(Array(input.utf8)) }

    static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Rule files shipped in `rules/` and used as fixtures: the seed corpus.
    static var ruleFiles: [String] {
        let shipped = "\(repositoryRoot)/rules"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: shipped)) ?? []
        return names.filter { $0.hasSuffix(".yml") }.sorted().map { "\(shipped)/\($0)" } + FixtureFiles.files(in: "rules")
    }

    static func seconds(_ d: Duration) -> Double { d.seconds }

    /// Mutates `s` with one of a few text edits, using `pieces` as the vocabulary.
    static func mutate(_ s: String, _ rng: inout SplitMix64, pieces: [String], corpus: [String]) -> String {
        var chars = Array(s)
        func at() -> Int { rng.below(chars.count + 1) }
        switch rng.below(8) {
        case 0: // insert a piece
            chars.insert(contentsOf: rng.pick(pieces), at: at())
        case 1: // delete a span
            if !chars.isEmpty {
                let i = rng.below(chars.count)
                chars.removeSubrange(i..<min(chars.count, i + 1 + rng.below(8)))
            }
        case 2: // duplicate a span
            if !chars.isEmpty {
                let i = rng.below(chars.count)
                let span = chars[i..<min(chars.count, i + 1 + rng.below(16))]
                chars.insert(contentsOf: span, at: at())
            }
        case 3: // replace a span with a piece
            if !chars.isEmpty {
                let i = rng.below(chars.count)
                chars.replaceSubrange(i..<min(chars.count, i + 1 + rng.below(4)), with: rng.pick(pieces))
            }
        case 4: // splice with another corpus entry
            let other = Array(rng.pick(corpus))
            let cut = rng.below(chars.count + 1), cut2 = rng.below(other.count + 1)
            chars = Array(chars[..<cut]) + Array(other[cut2...])
        case 5: // flip one character to a random printable or odd one
            if !chars.isEmpty {
                let odd: [Character] = ["\u{0}", "\u{7f}", "\n", "\t", "\u{e9}", "\u{1F600}", "\\", "\"", "'", "`", "{", "}"]
                chars[rng.below(chars.count)] = rng.chance(50) ? rng.pick(odd) : Character(Unicode.Scalar(UInt8(32 + rng.below(95))))
            }
        case 6: // repeat a piece many times (deep or long input)
            chars.insert(contentsOf: String(repeating: rng.pick(pieces), count: 1 + rng.below(300)), at: at())
        default: // swap halves
            let cut = rng.below(chars.count + 1)
            chars = Array(chars[cut...]) + Array(chars[..<cut])
        }
        return String(chars)
    }
}
