/// A bounded pool of dedicated threads for the work of deferred responses (`HTTPReply.deferred`),
/// so it runs neither on libmicrohttpd's threads nor on the Swift concurrency pool: at most
/// `threads` jobs run at once and at most `queueLimit` wait; past that `submit` refuses, and the
/// caller answers at once (503), as a server under load should.
public final class WorkerPool: @unchecked Sendable {
    public let threads: Int
    public let queueLimit: Int

    private struct Job {
        let run: @Sendable () -> Void
        let drop: @Sendable () -> Void
    }

    // Everything below is guarded by `lock`.
    private let lock = ConditionLock()
    private var queue: [Job] = []
    private var head = 0
    private var busy = 0
    private var stopping = false
    private var workers: [DedicatedThread] = []
    private var alive = 0

    /// Starts `threads` threads named `name`; each has `stackSize` bytes of stack (deeply nested
    /// expressions recurse).
    public init(name: String, threads: Int, queueLimit: Int, stackSize: Int = 8 << 20) {
        self.threads = max(1, threads)
        self.queueLimit = max(0, queueLimit)
        for i in 0..<self.threads {
            // A thread only leaves its loop after `shutdown`, which cannot run before init returns.
            if let t = DedicatedThread(name: "\(name)-\(i)", stackSize: stackSize, { [self] in work() }) {
                lock.withLock {
                    workers.append(t)
                    alive += 1
                }
            }
        }
    }

    /// Jobs running right now.
    public var running: Int { lock.withLock { busy } }
    /// Jobs waiting for a thread.
    public var waiting: Int { lock.withLock { queue.count - head } }

    /// Queues `run`. Returns false — and runs nothing — when `threads` jobs run and `queueLimit`
    /// wait already, or the pool is shutting down. A queued job that `shutdown` discards gets
    /// `ifDropped` called instead (on the thread calling `shutdown`), so it can still answer.
    @discardableResult
    public func submit(_ run: @escaping @Sendable () -> Void, ifDropped drop: @escaping @Sendable () -> Void = {}) -> Bool {
        lock.withLock {
            guard !stopping, !workers.isEmpty else { return false }
            let waitingNow = queue.count - head
            // A free thread takes the job at once; otherwise it waits, if there is room.
            guard busy + waitingNow < threads + queueLimit else { return false }
            queue.append(Job(run: run, drop: drop))
            lock.signal()
            return true
        }
    }

    /// Refuses new jobs, drops the waiting ones (calling their `ifDropped`), and waits up to
    /// `seconds` for the running ones to return. Returns whether every thread ended (they are
    /// joined then); a job still running past the wait is abandoned to finish on its own.
    @discardableResult
    public func shutdown(waitSeconds seconds: Double = 1) -> Bool {
        let dropped: [Job] = lock.withLock {
            stopping = true
            let rest = Array(queue[head...])
            queue = []
            head = 0
            lock.broadcast()
            return rest
        }
        for job in dropped { job.drop() }
        let deadline = monotonicNanoseconds() + UInt64(max(0, seconds) * 1e9)
        let ended: Bool = lock.withLock {
            while alive > 0 {
                let now = monotonicNanoseconds()
                guard now < deadline else { break }
                lock.wait(seconds: Double(deadline - now) / 1e9)
            }
            return alive == 0
        }
        if ended {
            for w in lock.withLock({ workers }) { w.join() }
        }
        return ended
    }

    private func work() {
        while true {
            let job: Job? = lock.withLock {
                while head == queue.count && !stopping { lock.wait() }
                guard head < queue.count, !stopping else { return nil }
                let next = queue[head]
                head += 1
                if head > 64 && head * 2 > queue.count {
                    queue.removeFirst(head)
                    head = 0
                }
                busy += 1
                return next
            }
            guard let job else { break }
            job.run()
            lock.withLock { busy -= 1 }
        }
        lock.withLock {
            alive -= 1
            lock.broadcast()
        }
    }
}
