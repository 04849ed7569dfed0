import Foundation
import Synchronization

/// The one pattern the process lifecycle (start, reload, stop) is written in: async steps run
/// one after another, in the order they were asked for, on a FIFO chain of tasks; a step that
/// blocks (joining collector threads, stopping libmicrohttpd) runs on a thread of its own through
/// `blocking(_:_:)` and is awaited, so no step ever holds one of the concurrency pool's threads
/// or bridges a task back with a semaphore. Threads stay where C calls block (collectors, HTTP).
final class Lifecycle: Sendable {
    private let last = Mutex<Task<Void, Never>?>(nil)

    /// Runs `step` after every step enqueued before it.
    func enqueue(_ step: @escaping @Sendable () async -> Void) {
        last.withLock { previous in
            let before = previous
            previous = Task {
                await before?.value
                await step()
            }
        }
    }

    /// Waits until every step enqueued so far has run.
    func drain() async {
        await last.withLock { $0 }?.value
    }

    /// Runs blocking `work` on a dedicated thread and returns its result.
    static func blocking<T: Sendable>(_ name: String, _ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            let thread = Thread { continuation.resume(returning: work()) }
            thread.name = name
            thread.start()
        }
    }
}
