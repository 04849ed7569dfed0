import Foundation
@testable import Rules

/// Deterministic pseudo-random numbers (SplitMix64): a fuzz run is replayed by its seed.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

enum Fuzz {
    /// `VIGIL_FUZZ_SEED` replays a run; otherwise a fixed seed keeps the suite deterministic.
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["VIGIL_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_261_201
    }

    /// Cases per target (`VIGIL_FUZZ_CASES` raises it for a longer local run).
    static func cases(_ defaultCount: Int) -> Int {
        ProcessInfo.processInfo.environment["VIGIL_FUZZ_CASES"].flatMap { Int($0) } ?? defaultCount
    }

    /// With `VIGIL_FUZZ_TRACE=file`, each input is written there before it runs, so the
    /// input that crashes the process is on disk afterwards (to become a fixture).
    static func trace(_ input: String) {
        guard let path = ProcessInfo.processInfo.environment["VIGIL_FUZZ_TRACE"] else { return }
        try? input.write(toFile: path, atomically: false, encoding: .utf8)
    }

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
