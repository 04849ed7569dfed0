import Dispatch
import Foundation
import Rules
import Synchronization

/// A `RuleClock` that only moves when the test says so. `advance(by:)` runs every piece of
/// work that falls due, in due order, on the queue it was scheduled for, and returns once it
/// has run; a measured evaluation takes `workSeconds`.
final class ManualRuleClock: RuleClock {
    private struct Entry {
        var due: Date
        var every: Double?
        let queue: DispatchQueue
        let work: @Sendable () -> Void
    }

    private struct State {
        var now: Date
        var entries: [Int: Entry] = [:]
        var nextID = 0
        var workSeconds: Double = 0
        var measured = 0
    }

    private let state: Mutex<State>

    init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        state = Mutex(State(now: start))
    }

    func now() -> Date { state.withLock { $0.now } }

    /// How long every measured piece of work reports it took (seconds).
    var workSeconds: Double {
        get { state.withLock { $0.workSeconds } }
        set { state.withLock { $0.workSeconds = newValue } }
    }

    /// How many evaluations have been measured so far.
    var measured: Int { state.withLock { $0.measured } }

    /// Scheduled work not yet run or cancelled: (seconds from now until due, repeat interval).
    var pending: [(inSeconds: Double, every: Double?)] {
        state.withLock { s in
            s.entries.sorted { $0.key < $1.key }.map { ($0.value.due.timeIntervalSince(s.now), $0.value.every) }
        }
    }

    func schedule(after delay: Double, repeating: Double?, on queue: DispatchQueue,
                  _ work: @escaping @Sendable () -> Void) -> any RuleTimer {
        let id = state.withLock { s in
            defer { s.nextID += 1 }
            s.entries[s.nextID] = Entry(due: s.now.addingTimeInterval(delay), every: repeating, queue: queue, work: work)
            return s.nextID
        }
        return Timer(clock: self, id: id)
    }

    func measure<T>(_ body: () -> T) -> (result: T, seconds: Double) {
        let result = body()
        let seconds = state.withLock { s in
            s.measured += 1
            return s.workSeconds
        }
        return (result, seconds)
    }

    /// Moves time forward by `seconds`, running what falls due on its queue (synchronously, so
    /// the call returns after it ran). Call it from a thread that is not one of those queues.
    func advance(by seconds: Double) {
        let target = now().addingTimeInterval(seconds)
        while true {
            let next: Entry? = state.withLock { s in
                guard let (id, entry) = s.entries.filter({ $0.value.due <= target })
                    .min(by: { ($0.value.due, $0.key) < ($1.value.due, $1.key) }) else { return nil }
                s.now = entry.due
                if let every = entry.every {
                    s.entries[id]?.due = entry.due.addingTimeInterval(every)
                } else {
                    s.entries[id] = nil
                }
                return entry
            }
            guard let next else { break }
            next.queue.sync(execute: next.work)
        }
        state.withLock { $0.now = target }
    }

    fileprivate func cancel(_ id: Int) {
        _ = state.withLock { $0.entries.removeValue(forKey: id) }
    }

    private struct Timer: RuleTimer {
        let clock: ManualRuleClock
        let id: Int
        func cancel() { clock.cancel(id) }
    }
}
