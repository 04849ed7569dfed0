public import Dispatch
public import Foundation
import VigilCore

/// Time as the rule runtime sees it: the wall clock that stamps evaluations, timers that run
/// work on the runtime's queue, and the stopwatch that times an evaluation. `DispatchRuleClock`
/// is the real one; tests drive a manual clock instead, so no test depends on real time.
public protocol RuleClock: Sendable {
    /// The wall-clock time evaluations and samples are stamped with.
    func now() -> Date
    /// Runs `work` on `queue` after `delay` seconds and then, when `repeating` is given, every
    /// `repeating` seconds, until the returned timer is cancelled.
    func schedule(after delay: Double, repeating: Double?, on queue: DispatchQueue,
                  _ work: @escaping @Sendable () -> Void) -> any RuleTimer
    /// Runs `body` and returns its result and how long it took, in seconds.
    func measure<T>(_ body: () -> T) -> (result: T, seconds: Double)
}

/// Scheduled work that can be cancelled; cancelling twice, or after a one-shot ran, does nothing.
public protocol RuleTimer: Sendable {
    func cancel()
}

/// The real clock: `Date()`, Dispatch timers (10 ms leeway) and one-shot `asyncAfter`, and
/// `ContinuousClock` for durations.
public struct DispatchRuleClock: RuleClock {
    public init() {}

    public func now() -> Date { Date() }

    public func schedule(after delay: Double, repeating: Double?, on queue: DispatchQueue,
                         _ work: @escaping @Sendable () -> Void) -> any RuleTimer {
        if let repeating {
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + delay, repeating: repeating, leeway: .milliseconds(10))
            timer.setEventHandler(handler: work)
            timer.resume()
            return SourceTimer(source: timer)
        }
        let item = DispatchWorkItem(block: work)
        queue.asyncAfter(deadline: .now() + delay, execute: item)
        return WorkItemTimer(item: item)
    }

    public func measure<T>(_ body: () -> T) -> (result: T, seconds: Double) {
        let clock = ContinuousClock()
        let start = clock.now
        let result = body()
        return (result, (clock.now - start).seconds)
    }

    private struct SourceTimer: RuleTimer, @unchecked Sendable {
        // A dispatch source is thread-safe; cancel may be called from any thread.
        let source: any DispatchSourceTimer
        func cancel() { source.cancel() }
    }

    private struct WorkItemTimer: RuleTimer, @unchecked Sendable {
        // DispatchWorkItem.cancel is thread-safe.
        let item: DispatchWorkItem
        func cancel() { item.cancel() }
    }
}
