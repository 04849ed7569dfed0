#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every open connection of one server, with its socket and whether it is waiting for a request
/// header — the defence against slow and idle clients that libmicrohttpd's idle timeout (reset
/// by every byte) does not give:
///
/// - **Header deadline.** A connection must complete its request header within `headerTimeout`
///   of being accepted, however it trickles; a kept-alive connection gets the idle timeout plus
///   `headerTimeout` after its previous response. A watchdog thread shuts down (`shutdown(2)`,
///   so libmicrohttpd's thread notices and closes it) every connection past its deadline.
/// - **Eviction.** When more than `evictAbove` connections are open, each new one evicts the
///   oldest connection that is still waiting for a request header, so a burst of idle
///   connections never keeps a new client out. Connections inside a request are never evicted.
///
/// Fed by libmicrohttpd's callbacks: connection started/closed (MHD_OPTION_NOTIFY_CONNECTION),
/// header complete (first access-handler call), request complete. libmicrohttpd reports a
/// connection closed *before* it closes the socket (0.9.75 `MHD_cleanup_connections` and the
/// failure path of `new_connection_process_`), and every `shutdown` here happens under the same
/// lock as that report, so a descriptor number reused by a later connection is never touched.
final class ConnectionTracker: @unchecked Sendable {
    enum Phase {
        /// Accepted or kept alive; the next request header is not complete yet.
        case awaitingHeader
        /// The header is in; the request is being read, handled (maybe deferred) or answered.
        case inRequest
        /// Shut down by the tracker; libmicrohttpd has not reported it closed yet.
        case closing
    }

    struct Entry {
        var fd: Int32
        var phase: Phase
        /// When it started waiting for its current header (eviction takes the smallest).
        var waitingSince: UInt64
        var deadline: UInt64
    }

    struct Stats: Sendable, Equatable {
        /// Open connections not being shut down by the tracker.
        var open: Int
        /// Connections shut down because a new one needed the room.
        var evicted: Int
        /// Connections shut down because their header missed its deadline.
        var headerTimeouts: Int
    }

    let headerTimeout: UInt64
    let keepAliveGrace: UInt64
    let evictAbove: Int

    private let lock = ConditionLock()
    private var entries: [UInt: Entry] = [:]
    private var open = 0
    private var evicted = 0
    private var timedOut = 0
    private var stopping = false
    private var watchdog: DedicatedThread?

    /// - Parameters:
    ///   - headerTimeoutSeconds: time to complete a request header.
    ///   - idleTimeoutSeconds: libmicrohttpd's idle timeout; a kept-alive connection gets it on
    ///     top of the header timeout for its next request.
    ///   - evictAbove: open connections past which a new one evicts the oldest header-waiting one.
    init(headerTimeoutSeconds: Double, idleTimeoutSeconds: Int, evictAbove: Int) {
        headerTimeout = UInt64(max(0.001, headerTimeoutSeconds) * 1e9)
        keepAliveGrace = UInt64(max(0, idleTimeoutSeconds)) * 1_000_000_000
        self.evictAbove = max(0, evictAbove)
    }

    var stats: Stats { lock.withLock { Stats(open: open, evicted: evicted, headerTimeouts: timedOut) } }

    /// Starts the watchdog thread. Returns false when no thread could be created.
    func startWatchdog() -> Bool {
        // Deadlines are checked ten times per header timeout, at most every 250 ms.
        let tick = min(0.25, max(0.005, Double(headerTimeout) / 1e10))
        let thread = DedicatedThread(name: "vigil-http-wd", stackSize: 1 << 18) { [self] in
            lock.withLock {
                while !stopping {
                    sweep(now: monotonicNanoseconds())
                    lock.wait(seconds: tick)
                }
            }
        }
        lock.withLock { watchdog = thread }
        return thread != nil
    }

    /// Stops and joins the watchdog. Idempotent.
    func stopWatchdog() {
        let thread: DedicatedThread? = lock.withLock {
            stopping = true
            lock.broadcast()
            return watchdog
        }
        thread?.join()
    }

    // MARK: libmicrohttpd's events (on its threads)

    func opened(_ key: UInt, fd: Int32) {
        lock.withLock {
            let now = monotonicNanoseconds()
            entries[key] = Entry(fd: fd, phase: .awaitingHeader, waitingSince: now, deadline: now &+ headerTimeout)
            open += 1
            while open > evictAbove, let victim = oldestAwaitingHeader(excluding: key) {
                shutDown(victim)
                evicted += 1
            }
        }
    }

    func headerComplete(_ key: UInt) {
        lock.withLock {
            guard var e = entries[key], e.phase == .awaitingHeader else { return }
            e.phase = .inRequest
            entries[key] = e
        }
    }

    func requestFinished(_ key: UInt) {
        lock.withLock {
            guard var e = entries[key], e.phase == .inRequest else { return }
            let now = monotonicNanoseconds()
            e.phase = .awaitingHeader
            e.waitingSince = now
            e.deadline = now &+ keepAliveGrace &+ headerTimeout
            entries[key] = e
        }
    }

    /// libmicrohttpd is about to close the socket: forget it (under the lock every shutdown takes).
    func closed(_ key: UInt) {
        lock.withLock {
            guard let e = entries.removeValue(forKey: key) else { return }
            if e.phase != .closing { open -= 1 }
        }
    }

    // MARK: under the lock

    private func sweep(now: UInt64) {
        var expired: [UInt] = []
        for (key, e) in entries where e.phase == .awaitingHeader && e.deadline <= now {
            expired.append(key)
        }
        for key in expired {
            shutDown(key)
            timedOut += 1
        }
    }

    private func oldestAwaitingHeader(excluding key: UInt) -> UInt? {
        var best: (key: UInt, since: UInt64)?
        for (k, e) in entries where e.phase == .awaitingHeader && k != key {
            if best == nil || e.waitingSince < best!.since { best = (k, e.waitingSince) }
        }
        return best?.key
    }

    private func shutDown(_ key: UInt) {
        guard var e = entries[key], e.phase != .closing else { return }
        if e.fd >= 0 {
            #if canImport(Glibc)
            _ = Glibc.shutdown(e.fd, Int32(SHUT_RDWR))
            #else
            _ = Darwin.shutdown(e.fd, SHUT_RDWR)
            #endif
        }
        e.phase = .closing
        entries[key] = e
        open -= 1
    }
}
