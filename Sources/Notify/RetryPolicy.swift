public import Foundation
import VigilCore

/// What to do after one delivery attempt. Pure: time and randomness come in as arguments.
public struct RetryPolicy: Sendable, Hashable {
    public enum Decision: Sendable, Hashable {
        case delivered
        case retry(at: Date)
        case giveUp(reason: String)
    }

    public var settings: DeliverySettings

    public init(settings: DeliverySettings) { self.settings = settings }

    /// - Parameters:
    ///   - status: the HTTP status, or nil when the request failed without an answer.
    ///   - retryAfter: the `Retry-After` header, if any.
    ///   - attempts: attempts made so far, this one included (≥ 1).
    ///   - jitter: a number in 0..<1 (random in production).
    public func decide(status: Int?, retryAfter: String?, attempts: Int, createdAt: Date, now: Date, jitter: Double) -> Decision {
        if let status, (200..<300).contains(status) { return .delivered }
        let deadline = createdAt.addingTimeInterval(settings.maxAge)
        var next: Date
        if let status, status == 429 || status == 503, let retryAfter, let at = Self.retryAfter(retryAfter, now: now) {
            // Retry-After is honoured, shorter than the backoff too, but never below
            // `minimumRetryAfter` (or the backoff, when that is shorter): a receiver answering
            // `Retry-After: 0` (or a date past) to every attempt gets one a second, no busy loop.
            let floor = min(Self.minimumRetryAfter, backoff(attempts: attempts, jitter: jitter))
            next = max(at, now.addingTimeInterval(floor))
        } else if let status, (400..<500).contains(status), status != 429, status != 408 {
            return .giveUp(reason: "HTTP \(status)")
        } else if let status, (300..<400).contains(status) {
            return .giveUp(reason: "HTTP \(status)")
        } else {
            next = now.addingTimeInterval(backoff(attempts: attempts, jitter: jitter))
        }
        if next > deadline {
            let what = status.map { "HTTP \($0)" } ?? "no answer"
            return .giveUp(reason: "\(what); next attempt would pass max_age \(PromDuration.format(settings.maxAge))")
        }
        if next < now { next = now }
        return .retry(at: next)
    }

    /// The shortest wait a `Retry-After` can ask for, in seconds.
    public static let minimumRetryAfter = 1.0

    /// Exponential backoff with "equal jitter": half of the doubled delay fixed, half random.
    public func backoff(attempts: Int, jitter: Double) -> Double {
        let exponent = Double(max(0, min(attempts - 1, 40)))
        let full = min(settings.maxBackoff, settings.initialBackoff * pow(2, exponent))
        return full / 2 + full / 2 * min(max(jitter, 0), 1)
    }

    /// `Retry-After` as delay-seconds or an HTTP-date (`VigilCore.RetryAfter`), as an instant.
    public static func retryAfter(_ value: String, now: Date) -> Date? {
        RetryAfter.seconds(value, now: now).map { now.addingTimeInterval($0) }
    }
}
