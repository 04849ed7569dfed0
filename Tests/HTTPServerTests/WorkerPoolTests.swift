#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization
import Testing
@testable import HTTPServer

@Suite("WorkerPool")
struct WorkerPoolTests {
    @Test("at most `threads` jobs run at once, at most `queueLimit` wait, the rest are refused")
    func bounded() {
        let pool = WorkerPool(name: "test-bound", threads: 2, queueLimit: 3)
        defer { pool.shutdown() }
        let release = Atomic<Bool>(false)
        let concurrent = Atomic<Int>(0)
        let peak = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        var accepted = 0
        for _ in 0..<8 {
            let ok = pool.submit {
                let now = concurrent.add(1, ordering: .relaxed).newValue
                var seen = peak.load(ordering: .relaxed)
                while now > seen, !peak.compareExchange(expected: seen, desired: now, ordering: .relaxed).exchanged {
                    seen = peak.load(ordering: .relaxed)
                }
                while !release.load(ordering: .relaxed) { usleep(1_000) }
                concurrent.subtract(1, ordering: .relaxed)
                done.add(1, ordering: .relaxed)
            }
            if ok { accepted += 1 }
        }
        #expect(accepted == 5)
        #expect(eventuallyTrue(2) { pool.running == 2 && pool.waiting == 3 })
        release.store(true, ordering: .relaxed)
        let fiveDone = eventuallyTrue(5) { done.load(ordering: .relaxed) == 5 }
        #expect(fiveDone)
        let peakWasTwo = peak.load(ordering: .relaxed) == 2
        #expect(peakWasTwo)
        // Room again once they have finished.
        let again = pool.submit { done.add(1, ordering: .relaxed) }
        #expect(again)
        let sixDone = eventuallyTrue(2) { done.load(ordering: .relaxed) == 6 }
        #expect(sixDone)
    }

    @Test("shutdown drops the waiting jobs through their ifDropped, waits for the running one, and refuses new ones")
    func shutdown() {
        let pool = WorkerPool(name: "test-stop", threads: 1, queueLimit: 4)
        let started = Atomic<Bool>(false)
        let finished = Atomic<Bool>(false)
        let dropped = Atomic<Int>(0)
        let ranLate = Atomic<Int>(0)
        let first = pool.submit {
            started.store(true, ordering: .relaxed)
            usleep(300_000)
            finished.store(true, ordering: .relaxed)
        }
        #expect(first)
        let firstStarted = eventuallyTrue(2) { started.load(ordering: .relaxed) }
        #expect(firstStarted)
        for _ in 0..<3 {
            let queued = pool.submit({ ranLate.add(1, ordering: .relaxed) }, ifDropped: { dropped.add(1, ordering: .relaxed) })
            #expect(queued)
        }
        let start = ContinuousClock.now
        let ended = pool.shutdown(waitSeconds: 2)
        #expect(ended)
        let firstFinished = finished.load(ordering: .relaxed)
        #expect(firstFinished)
        #expect(ContinuousClock.now - start < .seconds(2))
        let threeDropped = dropped.load(ordering: .relaxed) == 3
        #expect(threeDropped)
        let noneRanLate = ranLate.load(ordering: .relaxed) == 0
        #expect(noneRanLate)
        let late = pool.submit {}
        #expect(!late)
    }

    @Test("a job that outlives the shutdown wait is abandoned, not waited for")
    func abandoned() {
        let pool = WorkerPool(name: "test-hang", threads: 1, queueLimit: 0)
        let release = Atomic<Bool>(false)
        let hanging = pool.submit { while !release.load(ordering: .relaxed) { usleep(1_000) } }
        #expect(hanging)
        #expect(eventuallyTrue(2) { pool.running == 1 })
        let start = ContinuousClock.now
        let ended = pool.shutdown(waitSeconds: 0.2)
        #expect(!ended)
        #expect(ContinuousClock.now - start < .seconds(1))
        release.store(true, ordering: .relaxed)
    }
}
