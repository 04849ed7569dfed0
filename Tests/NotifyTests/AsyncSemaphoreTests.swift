import Synchronization
import Testing
@testable import Notify

final class Shared<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ v: Value) { value = Mutex(v) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { value.withLock { body(&$0) } }
}

@Suite("AsyncSemaphore")
struct AsyncSemaphoreTests {
    @Test("never more than the limit hold it, and every waiter gets its turn")
    func limitHolds() async {
        let gate = AsyncSemaphore(limit: 2)
        let peak = Shared((now: 0, max: 0))
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    guard await gate.acquire() else { return }
                    peak.withLock { $0.now += 1; $0.max = max($0.max, $0.now) }
                    try? await Task.sleep(for: .milliseconds(5))
                    peak.withLock { $0.now -= 1 }
                    gate.release()
                }
            }
        }
        #expect(peak.withLock { $0.max } == 2)
        #expect(gate.isIdle)
    }

    @Test("waiters are served in arrival order")
    func fifo() async {
        let gate = AsyncSemaphore(limit: 1)
        #expect(await gate.acquire())
        let order = Shared<[Int]>([])
        var tasks: [Task<Void, Never>] = []
        for i in 0..<5 {
            tasks.append(Task {
                guard await gate.acquire() else { return }
                order.withLock { $0.append(i) }
                gate.release()
            })
            // Each waiter is queued before the next one starts.
            while gate.queued < i + 1 { await Task.yield() }
        }
        gate.release()
        for t in tasks { await t.value }
        #expect(order.withLock { $0 } == [0, 1, 2, 3, 4])
    }

    @Test("a cancelled waiter stops waiting at once, gets false and holds nothing")
    func cancellation() async {
        let gate = AsyncSemaphore(limit: 1)
        #expect(await gate.acquire())
        let waiter = Task { await gate.acquire() }
        while gate.queued < 1 { await Task.yield() }
        waiter.cancel()
        #expect(await waiter.value == false)
        gate.release()
        #expect(gate.isIdle)
        // A task cancelled before it asks gets false too.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await gate.acquire()
        }
        let got = await early.value
        if got { gate.release() }
        #expect(gate.isIdle)
    }
}
