/// When to try connecting again after failures: right away after the first failure, then
/// waiting `base`, `2·base`, … up to `maximum` seconds. Pure: time is an argument.
struct ReconnectBackoff: Sendable, Equatable {
    let base: Double
    let maximum: Double
    private(set) var failures = 0
    private(set) var nextAttempt: Double = -.infinity

    init(base: Double = 1, maximum: Double = 5) {
        self.base = base
        self.maximum = max(0, maximum)
    }

    /// Whether a connection attempt may be made at `now` (seconds on any monotonic scale).
    func mayAttempt(at now: Double) -> Bool { now >= nextAttempt }

    /// Seconds to wait before the next attempt, as of `now`.
    func wait(at now: Double) -> Double { max(0, nextAttempt - now) }

    mutating func failed(at now: Double) {
        failures += 1
        let delay = failures == 1 ? 0 : min(maximum, base * Double(1 << min(failures - 2, 20)))
        nextAttempt = now + delay
    }

    mutating func succeeded() {
        failures = 0
        nextAttempt = -.infinity
    }
}
