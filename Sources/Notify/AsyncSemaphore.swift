import Synchronization

/// At most `limit` holders at once; waiters are resumed in arrival order when a holder
/// releases (no polling). A waiting task that is cancelled stops waiting at once and gets
/// false.
final class AsyncSemaphore: Sendable {
    let limit: Int

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var available: Int
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
        /// Waiters cancelled before they were queued.
        var cancelled: Set<UInt64> = []
    }

    private let state: Mutex<State>

    init(limit: Int) {
        self.limit = max(1, limit)
        state = Mutex(State(available: max(1, limit)))
    }

    /// Waits for a slot; false when the task was cancelled (no slot is then held).
    func acquire() async -> Bool {
        let id = state.withLock { s -> UInt64 in
            s.nextID &+= 1
            return s.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                let now: Bool? = state.withLock { s in
                    if s.cancelled.remove(id) != nil { return false }
                    if s.available > 0 {
                        s.available -= 1
                        return true
                    }
                    s.waiters.append(Waiter(id: id, continuation: c))
                    return nil
                }
                if let now { c.resume(returning: now) }
            }
        } onCancel: {
            let waiting = state.withLock { s -> CheckedContinuation<Bool, Never>? in
                if let i = s.waiters.firstIndex(where: { $0.id == id }) { return s.waiters.remove(at: i).continuation }
                s.cancelled.insert(id)
                return nil
            }
            waiting?.resume(returning: false)
        }
    }

    /// Gives a slot back, to the longest waiter if there is one.
    func release() {
        let next = state.withLock { s -> CheckedContinuation<Bool, Never>? in
            if !s.waiters.isEmpty { return s.waiters.removeFirst().continuation }
            s.available = min(limit, s.available + 1)
            return nil
        }
        next?.resume(returning: true)
    }

    /// Slots held right now.
    var inUse: Int { state.withLock { limit - $0.available } }

    /// Tasks waiting for a slot.
    var queued: Int { state.withLock { $0.waiters.count } }

    /// No holder and no waiter.
    var isIdle: Bool { state.withLock { $0.available == limit && $0.waiters.isEmpty } }
}
