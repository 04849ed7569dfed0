public import Foundation
import HTTPClient
public import Logging
public import VigilCore

/// One remote: a bounded queue and the thread that sends it, in batches, through libcurl
/// (`HTTPClient.perform` blocks, so the writer owns a dedicated thread; the concurrency pool
/// never waits on it). 2xx sends the next batch; 5xx, a 429 when `retry_on_http_429` is set
/// and a failed transfer are retried with a backoff doubling from `min_backoff` to
/// `max_backoff`, the batch kept (the queue keeps filling meanwhile and drops its oldest when
/// full); any other status drops the batch (counted as failed).
public final class RemoteWriter: @unchecked Sendable {
    public let config: RemoteWriteConfig
    public let externalLabels: [String: String]
    private let encoder: SeriesEncoder
    private let logger: Logger
    private let userAgent: String

    // Everything below is guarded by `cond`.
    private let cond = NSCondition()
    private var queue: SampleQueue
    /// When the oldest sample of the next batch arrived (nil: the queue is empty).
    private var waitingSince: ContinuousClock.Instant?
    private var stopDeadline: ContinuousClock.Instant?
    private var finished = false
    private var started = false
    private var stats = RemoteWriteStats()
    private var failing = false
    private var overflowLogged = false

    /// The most a response body may be (receivers answer with a short error text).
    static let maxResponseBytes = 64 << 10

    public init(config: RemoteWriteConfig, externalLabels: [String: String], userAgent: String, logger: Logger) {
        self.config = config
        self.externalLabels = externalLabels
        self.encoder = SeriesEncoder(externalLabels: externalLabels, relabel: config.writeRelabel)
        self.logger = logger
        self.userAgent = userAgent
        self.queue = SampleQueue(capacity: config.queue.capacity)
    }

    /// Starts the sending thread (once).
    public func start() {
        let go = cond.withLock { () -> Bool in
            guard !started else { return false }
            started = true
            return true
        }
        guard go else { return }
        let thread = Thread { [self] in run() }
        thread.name = "vigil-remote-write"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Queues every sample of `families`, stamped `timestamp` (ms). Called on the collector's
    /// thread; encoding happens here, sending on the writer's thread.
    public func append(_ families: [MetricFamily], timestamp: Int64) {
        var pending: [WriteRequest.Pending] = []
        let relabelled = encoder.encode(families, timestamp: timestamp, into: &pending)
        cond.withLock {
            stats.received += pending.count + relabelled
            stats.dropped += relabelled
            guard stopDeadline == nil else {
                stats.dropped += pending.count
                return
            }
            let over = queue.append(pending)
            stats.dropped += over
            stats.overflowed += over
            if waitingSince == nil, !queue.isEmpty { waitingSince = .now }
            if over > 0, !overflowLogged {
                overflowLogged = true
                // Logged once until the next successful send (the counter has the rest).
                logger.warning("remote_write queue full; dropping the oldest samples",
                               metadata: ["remote": "\(config.name)", "capacity": "\(config.queue.capacity)"])
            }
            if queue.count >= config.queue.maxSamplesPerSend { cond.signal() }
        }
    }

    /// This remote's counters now.
    public var currentStats: RemoteWriteStats {
        cond.withLock {
            var s = stats
            s.pending = queue.count
            return s
        }
    }

    /// Stops sending: what is queued is sent for up to `flushTimeout` seconds (while the
    /// receiver accepts), the rest is dropped and counted. Blocks until the thread ends or
    /// the timeout (plus one request's grace) passes; returns whether it ended.
    @discardableResult
    public func stop(flushTimeout: Double) -> Bool {
        requestStop(flushTimeout: flushTimeout)
        return waitStopped(until: Date().addingTimeInterval(max(0, flushTimeout) + 1))
    }

    /// Starts stopping (see `stop`) without waiting.
    public func requestStop(flushTimeout: Double) {
        cond.withLock {
            if stopDeadline == nil { stopDeadline = .now + .seconds(max(0, flushTimeout)) }
            if !started {
                stats.dropped += queue.removeAll()
                finished = true
            }
            cond.broadcast()
        }
    }

    /// Waits until the sending thread has ended, or `limit`; returns whether it ended.
    public func waitStopped(until limit: Date) -> Bool {
        cond.withLock {
            while !finished {  // bounded by `limit`
                if !cond.wait(until: limit) { break }
            }
            return finished
        }
    }

    // MARK: - The sending thread

    private func run() {
        while let batch = nextBatch() {
            send(batch)
        }
    }

    /// Waits until a batch is due (full, or its oldest sample waited `batch_send_deadline`,
    /// or stopping) and takes it; nil when the writer is done.
    private func nextBatch() -> [WriteRequest.Pending]? {
        cond.withLock { () -> [WriteRequest.Pending]? in
            let maxBatch = config.queue.maxSamplesPerSend
            let deadline = Duration.seconds(config.queue.batchSendDeadline)
            while true {  // each round waits at most batch_send_deadline, and ends at stop
                let now = ContinuousClock.now
                if let stop = stopDeadline, queue.isEmpty || now >= stop {
                    let lost = queue.removeAll()
                    stats.dropped += lost
                    if lost > 0 {
                        logger.warning("remote_write stopped with samples unsent", metadata: ["remote": "\(config.name)", "samples": "\(lost)"])
                    }
                    finished = true
                    cond.broadcast()
                    return nil
                }
                if queue.count >= maxBatch || stopDeadline != nil || waitingSince.map({ now - $0 >= deadline }) == true {
                    let batch = queue.take(maxBatch)
                    waitingSince = queue.isEmpty ? nil : now
                    stats.samples += batch.count
                    return batch
                }
                let wake = waitingSince.map { $0 + deadline } ?? now + deadline
                _ = cond.wait(until: Date().addingTimeInterval(max(0.001, (wake - now).seconds)))
            }
        }
    }

    enum Outcome: Equatable {
        case sent
        case refused(Int, String)
        case retry(String, after: Double?)
    }

    private func send(_ batch: [WriteRequest.Pending]) {
        let body = Snappy.compress(WriteRequest.encode(batch))
        var request = HTTPClientRequest(method: "POST", url: config.url, headers: config.requestHeaders + [HTTPClientHeader("User-Agent", userAgent)],
                                        body: body, timeout: config.remoteTimeout, tls: config.tls ?? TLSOptions(), proxyURL: config.proxyURL,
                                        maxResponseBytes: Self.maxResponseBytes)
        request.followRedirects = false
        var backoff = config.queue.minBackoff
        while true {  // ends on success, a refusal, or when stopping runs out of time
            let stop = cond.withLock { stopDeadline }
            var deadline = ContinuousClock.now + .seconds(config.remoteTimeout)
            if let stop { deadline = min(deadline, stop) }
            switch attempt(request, deadline: deadline) {
            case .sent:
                let newest = Double(batch.map(\.timestamp).max() ?? 0) / 1000
                cond.withLock {
                    stats.bytes += body.count
                    stats.highestSent = max(stats.highestSent, newest)
                    overflowLogged = false
                    if failing {
                        failing = false
                        logger.info("remote_write sending again", metadata: ["remote": "\(config.name)"])
                    }
                }
                return
            case .refused(let status, let excerpt):
                cond.withLock { stats.failed += batch.count }
                logger.warning("remote_write batch refused; dropped", metadata: [
                    "remote": "\(config.name)", "status": "\(status)", "samples": "\(batch.count)", "response": "\(excerpt)"])
                return
            case .retry(let reason, let after):
                let gaveUp = cond.withLock { () -> Bool in
                    if !failing {
                        failing = true
                        logger.warning("remote_write send failed; retrying with backoff",
                                       metadata: ["remote": "\(config.name)", "url": "\(config.redactedURL)", "reason": "\(reason)"])
                    }
                    let wait = min(config.queue.maxBackoff, max(backoff, after ?? 0))
                    let until = ContinuousClock.now + .seconds(wait)
                    // A stop request shortens the wait to its deadline; past it the batch is given up.
                    while true {  // each round waits until `until` or the stop deadline, whichever is first
                        let end = stopDeadline.map { min($0, until) } ?? until
                        let now = ContinuousClock.now
                        guard now < end else { break }
                        _ = cond.wait(until: Date().addingTimeInterval(max(0.001, (end - now).seconds)))
                    }
                    if let stop = stopDeadline, ContinuousClock.now >= stop {
                        stats.dropped += batch.count
                        return true
                    }
                    stats.retried += batch.count
                    return false
                }
                if gaveUp { return }
                backoff = min(backoff * 2, config.queue.maxBackoff)
            }
        }
    }

    private func attempt(_ request: HTTPClientRequest, deadline: ContinuousClock.Instant) -> Outcome {
        let response: HTTPClientResponse
        do {
            response = try HTTPClient.perform(request, deadline: deadline)
        } catch {
            return .retry("\(error.kind.rawValue): \(error.message)", after: nil)
        }
        return Self.outcome(status: response.status, retryAfter: response.header("Retry-After"), body: response.body,
                            retryOn429: config.queue.retryOnHTTP429, now: Date())
    }

    /// What an answer means: 2xx sent; 5xx (and 429 when `retryOn429`) retried after the
    /// server's `Retry-After` (delay-seconds or an HTTP-date, at most 600 s; ignored when it is
    /// neither); anything else refused, with an excerpt of the body for the log. Pure.
    static func outcome(status: Int, retryAfter: String?, body: [UInt8], retryOn429: Bool, now: Date) -> Outcome {
        switch status {
        case 200..<300:
            return .sent
        case 429 where retryOn429, 500..<600:
            return .retry("HTTP \(status)", after: retryAfter.flatMap { RetryAfter.seconds($0, now: now) }.map { min($0, 600) })
        default:
            return .refused(status, excerpt(body))
        }
    }

    /// The first 200 printable characters of a response body, for the log.
    static func excerpt(_ body: [UInt8]) -> String {
        String(decoding: body.prefix(200).map { $0 >= 32 && $0 < 127 ? $0 : UInt8(ascii: " ") }, as: UTF8.self)
            .trimmingCharacters(in: .whitespaces)
    }
}
