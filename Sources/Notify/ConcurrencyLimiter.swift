import Synchronization

/// At most `limit` holders at once. `acquire` polls briefly so it stays responsive to task
/// cancellation (it returns false when cancelled).
final class ConcurrencyLimiter: Sendable {
    let limit: Int
    private let held = Mutex(0)

    init(limit: Int) { self.limit = max(1, limit) }

    func acquire() async -> Bool {
        while !Task.isCancelled {
            let got = held.withLock { n -> Bool in
                guard n < limit else { return false }
                n += 1
                return true
            }
            if got { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    func release() { held.withLock { $0 = max(0, $0 - 1) } }

    var inUse: Int { held.withLock { $0 } }
}
