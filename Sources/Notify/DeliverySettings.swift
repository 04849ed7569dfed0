/// How hard the notifier tries (Vigil's `delivery:` section; not part of Alertmanager's file).
public struct DeliverySettings: Sendable, Hashable {
    /// A notification still undelivered after this many seconds is given up (logged, counted).
    public var maxAge: Double
    /// First retry delay; doubles per attempt up to `maxBackoff`, with jitter.
    public var initialBackoff: Double
    public var maxBackoff: Double
    /// Requests in flight per integration at most.
    public var concurrency: Int

    public init(maxAge: Double = 24 * 3600, initialBackoff: Double = 1, maxBackoff: Double = 300, concurrency: Int = 4) {
        self.maxAge = maxAge
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.concurrency = concurrency
    }
}
