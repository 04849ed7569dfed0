/// When a collector tries to connect again after failures: right away after the first failure
/// (a one-off blip costs one cycle), then waiting `initial`, `2·initial`, … up to `maximum`
/// seconds. Pure: time is an argument, in seconds on any monotonic scale (`Monotonic.now`).
public struct ReconnectBackoff: Sendable, Equatable {
    public let initial: Double
    public let maximum: Double
    public private(set) var failures = 0
    public private(set) var nextAttempt: Double = -.infinity

    public init(initial: Double, maximum: Double) {
        self.initial = initial.isFinite ? max(0, initial) : 0
        self.maximum = maximum.isFinite ? max(self.initial, maximum) : self.initial
    }

    /// Whether a connection attempt may be made at `now`.
    public func mayAttempt(at now: Double) -> Bool { now >= nextAttempt }

    /// Seconds to wait before the next attempt, as of `now` (0 when allowed now).
    public func wait(at now: Double) -> Double { max(0, nextAttempt - now) }

    public mutating func failed(at now: Double) {
        failures += 1
        let delay = failures == 1 ? 0 : min(maximum, initial * Double(1 << min(failures - 2, 40)))
        nextAttempt = now + delay
    }

    public mutating func succeeded() {
        failures = 0
        nextAttempt = -.infinity
    }
}

/// Seconds on the monotonic clock since the first use in this process.
public enum Monotonic {
    private static let origin = ContinuousClock.now
    public static var now: Double { (ContinuousClock.now - origin).seconds }
}

extension Duration {
    /// The duration in seconds, as a Double.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
