public import Foundation
import Synchronization
import Testing

/// Deterministic pseudo-random numbers (SplitMix64): a fuzz run is replayed by its seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    public mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }
    public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

/// The knobs every seeded fuzz run shares: `VIGIL_FUZZ_SEED` replays a run, `VIGIL_FUZZ_CASES`
/// lengthens it, `VIGIL_FUZZ_TRACE=file` leaves the input being run on disk (the one that
/// crashed the process, to become a fixture).
public enum Fuzzing {
    public static func seed(default value: UInt64 = 20_261_201) -> UInt64 {
        ProcessInfo.processInfo.environment["VIGIL_FUZZ_SEED"].flatMap { UInt64($0) } ?? value
    }

    public static func cases(_ defaultCount: Int) -> Int {
        ProcessInfo.processInfo.environment["VIGIL_FUZZ_CASES"].flatMap { Int($0) } ?? defaultCount
    }

    public static func trace(_ input: [UInt8]) {
        guard let path = ProcessInfo.processInfo.environment["VIGIL_FUZZ_TRACE"] else { return }
        _ = FileManager.default.createFile(atPath: path, contents: Data(input))
    }

    /// Runs `body` on a thread with a 1 MiB stack (smaller than any thread that parses in
    /// Vigil) and waits at most `seconds`: its result, or nil when it did not finish (the
    /// thread is then left to run; the caller records the hang).
    public static func bounded<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () -> T) -> T? {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<T?>(nil)
        let thread = Thread {
            let r = body()
            result.withLock { $0 = r }
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        return result.withLock { $0 }
    }

    /// Runs `exercise` on `input`, bounded: each problem it returns is recorded as an issue
    /// under `label`, and so are a hang (no answer in 10 s) and a case slower than `slowerThan`.
    public static func check(_ input: [UInt8], label: String, slowerThan: Duration,
                             _ exercise: @escaping @Sendable ([UInt8]) -> [String]) {
        trace(input)
        let started = ContinuousClock.now
        guard let problems = bounded(10, { exercise(input) }) else {
            Issue.record("\(label): no answer within 10 s")
            return
        }
        let took = ContinuousClock.now - started
        if took > slowerThan { Issue.record("\(label) took \(took)") }
        for p in problems { Issue.record("\(label): \(p)") }
    }

    /// Every finding (a fixtures folder's files) `check`ed; an empty folder is an issue (the
    /// findings are what the run has proven).
    public static func replay(_ findings: [(name: String, bytes: [UInt8])], slowerThan: Duration,
                              _ exercise: @escaping @Sendable ([UInt8]) -> [String]) {
        if findings.isEmpty { Issue.record("no findings to replay") }
        for (name, bytes) in findings { check(bytes, label: "finding \(name)", slowerThan: slowerThan, exercise) }
    }

    /// `cases` inputs (`VIGIL_FUZZ_CASES` overrides it), each a seed mutated once or twice by
    /// `ByteMutator`, each `check`ed; prints the seed, the count and the time taken.
    public static func mutationRun(_ name: String, seeds: [(name: String, bytes: [UInt8])], dictionary: [[UInt8]],
                                   seed defaultSeed: UInt64, cases defaultCases: Int, slowerThan: Duration,
                                   _ exercise: @escaping @Sendable ([UInt8]) -> [String]) {
        let seed = seed(default: defaultSeed)
        let count = cases(defaultCases)
        var rng = SplitMix64(state: seed)
        let began = ContinuousClock.now
        for i in 0..<count where !seeds.isEmpty {
            let base = rng.pick(seeds)
            var (bytes, kind) = ByteMutator.mutate(base.bytes, &rng, dictionary: dictionary)
            if rng.chance(40) { (bytes, kind) = ByteMutator.mutate(bytes, &rng, dictionary: dictionary) }
            check(bytes, label: "\(name) case \(i) (seed \(seed), \(base.name), \(kind))", slowerThan: slowerThan, exercise)
        }
        print("\(name) fuzz: seed \(seed), \(count) cases in \(ContinuousClock.now - began)")
    }

    /// The files of a fixtures folder (sorted, hidden files left out), as bytes.
    public static func files(in directory: URL) -> [(name: String, bytes: [UInt8])] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().compactMap { name in
            FileManager.default.contents(atPath: directory.appendingPathComponent(name).path).map { (name, Array($0)) }
        }
    }
}

/// Byte-level mutations for the readers of what servers answer: flips, cuts, truncations,
/// duplicated spans, numbers replaced by huge, negative or non-finite ones, invalid UTF-8,
/// a dictionary token inserted or repeated many times (deep nesting, enormous lengths).
public enum ByteMutator {
    public static let numbers = ["9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999999",
                                 "-1", "0", "-0", "1e308", "1e309", "-1e309", "NaN", "nan", "+Inf", "-Inf", "inf", "infinity",
                                 "4294967296", "2147483647", "0x10", "1_000", "00000000000000000001", "1.5", ".", "-"]
    public static let invalidUTF8: [[UInt8]] = [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF],
                                                [0x00], [0x07], [0x1B], [0x7F], [0xC2, 0x85], [0xE2, 0x80, 0xA8]]

    public static func mutate(_ input: [UInt8], _ rng: inout SplitMix64, dictionary: [[UInt8]]) -> (bytes: [UInt8], kind: String) {
        var b = input
        func position() -> Int { rng.below(b.count + 1) }
        switch rng.below(10) {
        case 0:
            for _ in 0..<(1 + rng.below(4)) where !b.isEmpty { b[rng.below(b.count)] = UInt8(truncatingIfNeeded: rng.next()) }
            return (b, "byte flips")
        case 1:
            return (Array(b.prefix(position())), "truncated")
        case 2:
            let p = position()
            b.removeSubrange(p..<min(b.count, p + 1 + rng.below(64)))
            return (b, "cut")
        case 3:
            let p = position()
            let span = b[p..<min(b.count, p + 1 + rng.below(128))]
            b.insert(contentsOf: span, at: position())
            return (b, "duplicated span")
        case 4:
            // The digits of one number (an integer reply, a length, a field value) replaced.
            let starts = b.indices.filter { isDigit(b[$0]) && ($0 == 0 || !isDigit(b[$0 - 1])) }
            guard !starts.isEmpty else { return (b, "noop") }
            let start = rng.pick(starts)
            var end = start
            while end < b.count, isDigit(b[end]) { end += 1 }
            b.replaceSubrange(start..<end, with: Array(rng.pick(numbers).utf8))
            return (b, "number")
        case 5:
            b.insert(contentsOf: rng.pick(invalidUTF8), at: position())
            return (b, "invalid UTF-8")
        case 6:
            b.insert(contentsOf: rng.pick(dictionary), at: position())
            return (b, "token")
        case 7:
            let token = rng.pick(dictionary)
            let count = rng.pick([8, 64, 1_000, 4_000])
            b.insert(contentsOf: Array([[UInt8]](repeating: token, count: count).joined()), at: position())
            return (b, "repeated token")
        case 8:
            let lines = b.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
            var out = lines
            out.insert(rng.pick(lines), at: rng.below(lines.count + 1))
            return (Array(out.joined(separator: [10])), "duplicated line")
        default:
            let long = [UInt8](repeating: rng.chance(50) ? UInt8(ascii: "a") : UInt8(ascii: "9"), count: 1_000 + rng.below(30_000))
            b.insert(contentsOf: long, at: position())
            return (b, "long run")
        }
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
}
