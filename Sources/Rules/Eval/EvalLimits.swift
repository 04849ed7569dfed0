import Synchronization

/// Bounds of one query evaluation, shared by every step of it (nested subqueries included):
/// a deadline, a sample budget and a cancel switch — Prometheus' `--query.timeout` and
/// `--query.max-samples`. Pass one to `Evaluator.limits`; rule evaluation runs without.
///
/// The evaluator polls at every expression node, every series of a selection, every subquery
/// step and every group of an aggregation; the clock is read every `clockEvery` polls, so
/// the check costs an atomic increment most of the time.
///
/// The budget counts samples loaded by selectors (one per series of an instant selector, every
/// point of a range selector) and samples produced by subquery steps, cumulatively over the
/// whole evaluation. Prometheus counts the samples held in memory at the peak instead; counting
/// everything is stricter and bounds the work of step-by-step subqueries, which is what the
/// budget is for here.
public final class EvalLimits: Sendable {
    /// Prometheus' default `--query.max-samples`.
    public static let defaultMaxSamples = 50_000_000
    /// Polls between two readings of the clock.
    static let clockEvery = 256

    public let deadline: ContinuousClock.Instant?
    public let maxSamples: Int

    private let samples = Atomic<Int>(0)
    private let polls = Atomic<Int>(0)
    private let cancelled = Atomic<Bool>(false)

    public init(deadline: ContinuousClock.Instant? = nil, maxSamples: Int = EvalLimits.defaultMaxSamples) {
        self.deadline = deadline
        self.maxSamples = max(0, maxSamples)
    }

    /// Samples counted so far.
    public var samplesCounted: Int { samples.load(ordering: .relaxed) }

    /// Makes the evaluation stop at its next poll with `EvalError.canceled` (from any thread).
    public func cancel() { cancelled.store(true, ordering: .relaxed) }

    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// Throws when the evaluation is cancelled or (every `clockEvery` calls) past its deadline.
    func poll() throws(EvalError) {
        if cancelled.load(ordering: .relaxed) { throw .canceled(in: "expression evaluation") }
        guard let deadline else { return }
        let n = polls.wrappingAdd(1, ordering: .relaxed).newValue
        if n % Self.clockEvery == 0, ContinuousClock.now >= deadline {
            throw .timedOut(in: "expression evaluation")
        }
    }

    /// Counts `n` samples; throws once the budget is exceeded. Polls too.
    func charge(_ n: Int) throws(EvalError) {
        if n > 0 {
            let total = samples.wrappingAdd(n, ordering: .relaxed).newValue
            if total > maxSamples { throw .tooManySamples(in: "query execution") }
        }
        try poll()
    }

    /// Throws at once when the deadline has passed (no poll counting): before starting.
    func checkDeadline() throws(EvalError) {
        if cancelled.load(ordering: .relaxed) { throw .canceled(in: "expression evaluation") }
        if let deadline, ContinuousClock.now >= deadline { throw .timedOut(in: "expression evaluation") }
    }
}
