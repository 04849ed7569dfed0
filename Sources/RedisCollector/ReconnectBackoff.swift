/// When to try reconnecting after failures: exponential, capped. Pure: time is an argument
/// (seconds on a monotonic clock).
struct ReconnectBackoff: Sendable, Equatable {
    let initial: Double
    let maximum: Double
    private(set) var failures = 0
    private(set) var nextAttempt = -Double.infinity

    init(initial: Double, maximum: Double) {
        self.initial = max(0, initial)
        self.maximum = max(self.initial, maximum)
    }

    func mayAttempt(at now: Double) -> Bool { now >= nextAttempt }

    /// Seconds until the next attempt is allowed (0 when allowed now).
    func wait(at now: Double) -> Double { max(0, nextAttempt - now) }

    mutating func failed(at now: Double) {
        failures += 1
        let exponent = Double(min(failures - 1, 30))
        nextAttempt = now + min(maximum, initial * pow2(exponent))
    }

    mutating func succeeded() {
        failures = 0
        nextAttempt = -.infinity
    }

    private func pow2(_ e: Double) -> Double {
        var r = 1.0
        var i = 0.0
        while i < e { r *= 2; i += 1 }
        return r
    }
}

/// Seconds on the monotonic clock since the first call in this process.
enum Monotonic {
    private static let origin = ContinuousClock.now
    static var now: Double {
        let d = ContinuousClock.now - origin
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
