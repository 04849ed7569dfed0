import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import HTTPClient
@testable import RemoteWrite

/// A seeded, bounded mutation run over what a remote-write store answers: raw HTTP responses
/// (`Fixtures/responses/`: a real Prometheus 2.42 receiver's, and `written-*` ones in the shapes
/// Mimir and Cortex answer with when they push back) are mutated, their header lines fed one by
/// one to HTTPClient's header reader (as libcurl calls it), and the answer classified by
/// `RemoteWriter.outcome`. Properties: no crash, no slow case, 2xx is sent, 5xx is retried, 429 is
/// retried exactly when configured, anything else is refused with a short printable excerpt,
/// and a `Retry-After` becomes a finite wait of 0…600 s or none. Findings in `Fixtures/fuzz/`
/// are replayed first.
@Suite("Remote-write response fuzz")
struct RemoteWriteResponseFuzzTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    static let seeds = Fuzzing.files(in: fixtures.appendingPathComponent("responses"))
    static let findings = Fuzzing.files(in: fixtures.appendingPathComponent("fuzz"))
    /// The instant the seeds' dates are read against (two of them are 30 s after it).
    static let now = Date(timeIntervalSince1970: 1_796_178_586)

    static let dictionary: [[UInt8]] = [
        "\r\n", "\n", "\r", ":", " ", "\t", "HTTP/1.1 ", "HTTP/2 ", "HTTP/1.1 100 Continue\r\n\r\n", "Retry-After: ", "retry-after:",
        "Retry-After: 120\r\n", "Retry-After: -5\r\n", "Retry-After: 1e9\r\n", "Retry-After: nan\r\n", "Retry-After: inf\r\n",
        "Retry-After: Fri, 31 Dec 9999 23:59:59 GMT\r\n", "Retry-After: Thu, 01 Jan 1970 00:00:00 GMT\r\n", "Retry-After: Sun Nov  6 08:49:37 1994\r\n",
        "Content-Length: 99999999999999999999\r\n", "GMT", "Dec", ", ", "429", "503", "999", "0", "-1",
    ].map { Array($0.utf8) }

    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
    }

    /// What libcurl hands over: each header line of each response (interim ones too) to the
    /// header reader, the last status line's code, and the body. nil when no status line parses
    /// (libcurl fails that transfer; no answer to classify).
    static func answer(_ raw: [UInt8]) -> Answer? {
        let transfer = Transfer(limit: 1 << 20, cancel: nil, handle: nil)
        var status: Int?
        var rest = raw[...]
        while rest.starts(with: Array("HTTP/".utf8)) {
            while let nl = rest.firstIndex(of: 10) {
                let line = String(decoding: rest[..<nl], as: UTF8.self)
                rest = rest[(nl + 1)...]
                transfer.header(line: line + "\n")
                if line.hasPrefix("HTTP/") {
                    let parts = line.split(separator: " ", maxSplits: 2)
                    status = parts.count > 1 ? Int(parts[1]).flatMap { (0...999).contains($0) ? $0 : nil } : nil
                }
                if line == "\r" || line.isEmpty { break }
            }
            if !rest.contains(10) { break }
        }
        return status.map { Answer(status: $0, headers: transfer.headers, body: Array(rest)) }
    }

    /// The problems of one input, empty when none.
    static func exercise(_ raw: [UInt8]) -> [String] {
        guard let a = answer(raw) else { return [] }
        var out: [String] = []
        for (name, value) in a.headers where name != name.lowercased() || value.contains(where: { $0 == "\r" || $0 == "\n" }) {
            out.append("header \(name.debugDescription) is not lowercased or its value holds a line end")
        }
        for retryOn429 in [false, true] {
            let outcome = RemoteWriter.outcome(status: a.status, retryAfter: a.headers["retry-after"], body: a.body,
                                               retryOn429: retryOn429, now: now)
            switch outcome {
            case .sent:
                if !(200..<300).contains(a.status) { out.append("HTTP \(a.status) counted as sent") }
            case .retry(_, let after):
                if !((500..<600).contains(a.status) || (a.status == 429 && retryOn429)) { out.append("HTTP \(a.status) retried") }
                if let after, !(after.isFinite && (0...600).contains(after)) { out.append("Retry-After read as \(after)") }
            case .refused(let status, let excerpt):
                if (200..<300).contains(status) || (500..<600).contains(status) || (status == 429 && retryOn429) {
                    out.append("HTTP \(status) refused")
                }
                if excerpt.utf8.count > 200 || !excerpt.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) {
                    out.append("excerpt \(excerpt.debugDescription) is not short printable ASCII")
                }
            }
        }
        if let value = a.headers["retry-after"], let s = RetryAfter.seconds(value, now: now), !(s.isFinite && s >= 0) {
            out.append("Retry-After \(value.debugDescription) read as \(s)")
        }
        return out
    }

    @Test("the recorded answers classify as a receiver means them")
    func seeds() throws {
        func outcome(_ name: String) throws -> RemoteWriter.Outcome {
            let seed = try #require(Self.seeds.first { $0.name == name }, "\(name)")
            let a = try #require(Self.answer(seed.bytes), "\(name)")
            return RemoteWriter.outcome(status: a.status, retryAfter: a.headers["retry-after"], body: a.body, retryOn429: true, now: Self.now)
        }
        #expect(try outcome("prometheus-204-empty.http") == .sent)
        #expect(try outcome("prometheus-400-snappy.http") == .refused(400, "snappy: corrupt input"))
        #expect(try outcome("written-503-retry-seconds.http") == .retry("HTTP 503", after: 30))
        #expect(try outcome("written-429-retry-date.http") == .retry("HTTP 429", after: 30))
        // Two Retry-After headers join into one value that is neither form: no server wait.
        #expect(try outcome("written-100-then-500.http") == .retry("HTTP 500", after: nil))
        for (name, bytes) in Self.seeds { #expect(Self.exercise(bytes).isEmpty, "\(name)") }
    }

    @Test("Retry-After: digits or an HTTP-date, never a sign, a fraction, NaN or an endless number")
    func retryAfter() {
        let now = Self.now
        #expect(RetryAfter.seconds(" 120 ", now: now) == 120)
        #expect(RetryAfter.seconds("Wed, 02 Dec 2026 02:30:16 GMT", now: now) == 30)
        #expect(RetryAfter.seconds("Thu, 01 Jan 1970 00:00:00 GMT", now: now) == 0, "a date already past: no wait")
        for bad in ["-5", "+5", "1.5", "nan", "inf", "1e9", "", "soon", String(repeating: "9", count: 400)] {
            #expect(RetryAfter.seconds(bad, now: now) == nil, "\(bad.prefix(20))")
        }
        #expect(RemoteWriter.outcome(status: 503, retryAfter: "86400", body: [], retryOn429: false, now: now) == .retry("HTTP 503", after: 600))
    }

    @Test("the findings replay without a problem")
    func findingsReplay() {
        Fuzzing.replay(Self.findings, slowerThan: .seconds(1), Self.exercise)
    }

    @Test("mutated remote-write answers never crash, hang or misclassify")
    func mutations() {
        Fuzzing.mutationRun("Remote-write response", seeds: Self.seeds, dictionary: Self.dictionary, seed: 0x5EED_0000_4E57, cases: 600,
                            slowerThan: .seconds(1), Self.exercise)
    }
}
