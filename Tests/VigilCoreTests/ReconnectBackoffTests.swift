import Testing
import VigilCore

@Suite("Reconnect backoff")
struct ReconnectBackoffTests {
    @Test("retries at once after the first failure, then waits initial, doubling up to the maximum, and resets on success")
    func schedule() {
        var b = ReconnectBackoff(initial: 1, maximum: 5)
        #expect(b.mayAttempt(at: 0))
        b.failed(at: 10)
        #expect(b.mayAttempt(at: 10))
        b.failed(at: 10)
        #expect(!b.mayAttempt(at: 10.5))
        #expect(b.wait(at: 10.5) == 0.5)
        #expect(b.mayAttempt(at: 11))
        b.failed(at: 11)
        #expect(b.wait(at: 11) == 2)
        b.failed(at: 13)
        #expect(b.wait(at: 13) == 4)
        b.failed(at: 17)
        #expect(b.wait(at: 17) == 5)
        for _ in 0..<100 { b.failed(at: 100) }
        #expect(b.wait(at: 100) == 5)
        b.succeeded()
        #expect(b.failures == 0)
        #expect(b.mayAttempt(at: 0))
    }

    @Test("non-finite or negative settings cannot produce a negative or infinite wait")
    func hostileSettings() {
        var b = ReconnectBackoff(initial: -.infinity, maximum: .nan)
        b.failed(at: 0)
        b.failed(at: 0)
        #expect(b.wait(at: 0) == 0)
        var c = ReconnectBackoff(initial: 2, maximum: 1)
        c.failed(at: 0)
        c.failed(at: 0)
        #expect(c.wait(at: 0) == 2)
    }
}
