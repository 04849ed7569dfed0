import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import HTTPClient
@testable import Notify

/// A seeded, bounded mutation run over what notification receivers answer: raw HTTP responses
/// (`Fixtures/responses/`, in the shapes Slack, PagerDuty Events v2, Discord, Teams, webhooks and
/// Alertmanager answer with, JSON error bodies included) are mutated, their header lines fed one
/// by one to HTTPClient's header reader (as libcurl calls it) and the status and `Retry-After`
/// handed to the retry policy, as the notifier does. Bodies are never parsed (the status
/// decides), and at most `CurlTransport.maxResponseBytes` of one is read. Properties: no crash,
/// no slow case; 2xx is delivered; 3xx and 4xx but 408/429 are given up; anything else is
/// retried no sooner than 1 s (or the backoff, when shorter) and no later than max_age, or
/// given up for max_age; a
/// give-up reason is short and printable and its label one of three; header names are
/// lowercased and values hold no line end. Findings in `Fixtures/fuzz/` are replayed first.
@Suite("Notification response fuzz")
struct NotifyResponseFuzzTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    static let seeds = Fuzzing.files(in: fixtures.appendingPathComponent("responses"))
    static let findings = Fuzzing.files(in: fixtures.appendingPathComponent("fuzz"))
    static let now = Date(timeIntervalSince1970: 1_796_178_586)
    static let policy = RetryPolicy(settings: DeliverySettings(maxAge: 3600, initialBackoff: 1, maxBackoff: 60, concurrency: 1))

    static let dictionary: [[UInt8]] = [
        "\r\n", "\n", "\r", ":", " ", "\t", "HTTP/1.1 ", "HTTP/2 ", "HTTP/1.1 100 Continue\r\n\r\n", "Retry-After: ", "retry-after:",
        "Retry-After: 0\r\n", "Retry-After: 120\r\n", "Retry-After: -5\r\n", "Retry-After: 1e9\r\n", "Retry-After: nan\r\n",
        "Retry-After: 99999999999999999999999999999999999999\r\n", "Retry-After: Fri, 31 Dec 9999 23:59:59 GMT\r\n",
        "Retry-After: Thu, 01 Jan 1970 00:00:00 GMT\r\n", "Retry-After: Sun Nov  6 08:49:37 1994\r\n", "Content-Length: 99999999999999999999\r\n",
        "{\"retry_after\": 1e999}", "\"status\":", "GMT", "Dec", ", ", "429", "503", "408", "301", "999", "0", "-1", "200",
    ].map { Array($0.utf8) }

    struct Answer {
        var status: Int
        var headers: [String: String]
    }

    /// What libcurl hands over: each header line of each response (interim ones too) to the
    /// header reader, and the last status line's code (libcurl reads three digits). nil when no
    /// status line parses: libcurl fails that transfer, a failure without an answer.
    static func answer(_ raw: [UInt8]) -> Answer? {
        let transfer = Transfer(limit: CurlTransport.maxResponseBytes, cancel: nil, handle: nil)
        var status: Int?
        var rest = raw[...]
        while rest.starts(with: Array("HTTP/".utf8)) {
            while let nl = rest.firstIndex(of: 10) {
                let line = String(decoding: rest[..<nl], as: UTF8.self)
                rest = rest[(nl + 1)...]
                transfer.header(line: line + "\n")
                if line.hasPrefix("HTTP/") {
                    let parts = line.split(separator: " ", maxSplits: 2)
                    status = parts.count > 1 ? Int(parts[1]).flatMap { (100...999).contains($0) ? $0 : nil } : nil
                }
                if line == "\r" || line.isEmpty { break }
            }
            if !rest.contains(10) { break }
        }
        return status.map { Answer(status: $0, headers: transfer.headers) }
    }

    /// The problems of one input, empty when none.
    static func exercise(_ raw: [UInt8]) -> [String] {
        let a = answer(raw)
        var out: [String] = []
        for (name, value) in a?.headers ?? [:] where name != name.lowercased() || value.contains(where: { $0 == "\r" || $0 == "\n" }) {
            out.append("header \(name.debugDescription) is not lowercased or its value holds a line end")
        }
        let createdAt = now.addingTimeInterval(-60)
        let deadline = createdAt.addingTimeInterval(policy.settings.maxAge)
        for attempts in [1, 5, 40] {
            for jitter in [0.0, 1.0] {
                let status = a?.status
                let decision = policy.decide(status: status, retryAfter: a?.headers["retry-after"], attempts: attempts,
                                             createdAt: createdAt, now: now, jitter: jitter)
                let shortest = min(RetryPolicy.minimumRetryAfter, policy.backoff(attempts: attempts, jitter: jitter))
                switch decision {
                case .delivered:
                    if !(200..<300).contains(status ?? 0) { out.append("\(status.map { "HTTP \($0)" } ?? "no answer") delivered") }
                case .retry(let at):
                    if let status, (200..<400).contains(status) || ((400..<500).contains(status) && status != 408 && status != 429) {
                        out.append("HTTP \(status) retried")
                    }
                    let wait = at.timeIntervalSince(now)
                    if !wait.isFinite || wait < shortest - 1e-6 { out.append("retried after \(wait) s, under the floor of \(shortest) s") }
                    if at > deadline { out.append("retried past max_age") }
                case .giveUp(let reason):
                    if let status, (200..<300).contains(status) { out.append("HTTP \(status) given up") }
                    let retryable = status.map { $0 >= 500 || $0 < 200 || $0 == 408 || $0 == 429 } ?? true
                    if retryable, !reason.contains("max_age") { out.append("a retryable answer given up: \(reason)") }
                    if reason.utf8.count > 200 || !reason.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) {
                        out.append("give-up reason \(reason.debugDescription) is long or not printable")
                    }
                    if !["max_age", "http_3xx", "http_4xx"].contains(Notifier.giveUpLabel(reason: reason, status: status)) {
                        out.append("give-up label \(Notifier.giveUpLabel(reason: reason, status: status))")
                    }
                }
            }
        }
        if let value = a?.headers["retry-after"], let s = RetryAfter.seconds(value, now: now), !(s.isFinite && s >= 0) {
            out.append("Retry-After read as \(s)")
        }
        return out
    }

    @Test("the receivers' answers classify as they should")
    func seedsClassify() throws {
        #expect(Self.seeds.count >= 19)
        for (name, bytes) in Self.seeds {
            #expect(Self.exercise(bytes).isEmpty, "\(name): \(Self.exercise(bytes))")
        }
        func decide(_ name: String, attempts: Int = 1) throws -> RetryPolicy.Decision {
            let seed = try #require(Self.seeds.first { $0.name == name })
            let a = try #require(Self.answer(seed.bytes), "\(name)")
            return Self.policy.decide(status: a.status, retryAfter: a.headers["retry-after"], attempts: attempts,
                                      createdAt: Self.now, now: Self.now, jitter: 0)
        }
        #expect(try decide("pagerduty-202-accepted.http") == .delivered)
        #expect(try decide("webhook-100-then-200.http") == .delivered)
        #expect(try decide("slack-429-rate-limited.http") == .retry(at: Self.now.addingTimeInterval(30)))
        #expect(try decide("discord-429-retry-after.http") == .retry(at: Self.now.addingTimeInterval(2)), "the header, not the body's retry_after")
        #expect(try decide("pagerduty-400-invalid-event.http") == .giveUp(reason: "HTTP 400"))
        #expect(try decide("webhook-301-moved.http") == .giveUp(reason: "HTTP 301"))
    }

    @Test("Retry-After 0 or a date past waits 1 s (or the backoff, when shorter), never less: no busy loop against a receiver that says so every time")
    func retryAfterFloor() {
        // Found by this fuzz run: `Retry-After: 0` on every 429 meant a new attempt at once, for max_age.
        let t0 = Self.now
        for value in ["0", "Thu, 01 Jan 1970 00:00:00 GMT"] {
            #expect(Self.policy.decide(status: 429, retryAfter: value, attempts: 3, createdAt: t0, now: t0, jitter: 1)
                    == .retry(at: t0.addingTimeInterval(1)), "\(value)")
            #expect(Self.policy.decide(status: 429, retryAfter: value, attempts: 1, createdAt: t0, now: t0, jitter: 0)
                    == .retry(at: t0.addingTimeInterval(0.5)), "the first backoff is shorter: \(value)")
        }
        #expect(Self.policy.decide(status: 503, retryAfter: "120", attempts: 1, createdAt: t0, now: t0, jitter: 0)
                == .retry(at: t0.addingTimeInterval(120)), "a longer Retry-After is kept")
        #expect(Self.policy.decide(status: 503, retryAfter: "2", attempts: 10, createdAt: t0, now: t0, jitter: 1)
                == .retry(at: t0.addingTimeInterval(2)), "a shorter one than the backoff too")
    }

    @Test("a receiver answering 200 with a 1 MiB body is delivered (the body cut at 64 KiB), not sent again")
    func oversizedBody() async throws {
        let big = String(repeating: "x", count: 1 << 20)
        let receiver = try TestReceiver { _, _ in .respond(status: 200, body: big) }
        defer { receiver.stop() }
        let result = await CurlTransport().send(OutgoingRequest(url: "http://127.0.0.1:\(receiver.port)/hook", headers: [], body: Data("{}".utf8), timeout: 10))
        guard case .response(let status, _) = result else {
            Issue.record("expected an answer, got \(result)")
            return
        }
        #expect(status == 200)
        let failing = try TestReceiver { _, _ in .respond(status: 503, headers: [("Retry-After", "7")], body: big) }
        defer { failing.stop() }
        let retried = await CurlTransport().send(OutgoingRequest(url: "http://127.0.0.1:\(failing.port)/hook", headers: [], body: Data("{}".utf8), timeout: 10))
        guard case .response(503, let headers) = retried else {
            Issue.record("expected HTTP 503, got \(retried)")
            return
        }
        #expect(headers["retry-after"] == "7", "the status and headers of a cut answer are kept")
    }

    @Test("the findings replay without a problem")
    func findingsReplay() {
        Fuzzing.replay(Self.findings, slowerThan: .seconds(2), Self.exercise)
    }

    @Test("mutated receiver answers never crash, hang or lead to a wrong decision")
    func mutations() {
        Fuzzing.mutationRun("notification response", seeds: Self.seeds, dictionary: Self.dictionary, seed: 0x5EED_0000_A1E7, cases: 800,
                            slowerThan: .seconds(2), Self.exercise)
    }
}
