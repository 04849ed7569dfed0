import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif
public import Synchronization

/// `connections` clients that send a request header one byte a second and reconnect when cut
/// off, on a thread of their own, until stopped (at most 60 s, at most 4 reconnects per client).
public final class Slowloris: @unchecked Sendable {
    public let opened = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    public init(port: Int, connections: Int) {
        let header = Array(("GET /metrics HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X-Pad: 0123456789\r\n", count: 200)).utf8)
        DispatchQueue(label: "slowloris").async { [self] in
            var clients: [(RawConnection?, Int)] = []
            var reconnects = 0
            for _ in 0..<connections where !stopped.load(ordering: .relaxed) {
                clients.append((try? RawConnection(port: port), 0))
                opened.add(1, ordering: .relaxed)
            }
            let end = ContinuousClock.now + .seconds(60)
            while !stopped.load(ordering: .relaxed) && ContinuousClock.now < end {
                for i in clients.indices {
                    if let c = clients[i].0, !c.peerClosed() {
                        try? c.send([header[clients[i].1 % header.count]])
                        clients[i].1 += 1
                    } else if reconnects < 4 * connections {
                        reconnects += 1
                        clients[i] = (try? RawConnection(port: port), 0)
                        opened.add(1, ordering: .relaxed)
                    }
                }
                for _ in 0..<20 where !stopped.load(ordering: .relaxed) { usleep(50_000) }
            }
            clients.removeAll()
            finished.signal()
        }
    }

    public var openedCount: Int { opened.load(ordering: .relaxed) }

    /// Stops sending and closes every connection.
    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        finished.wait()
    }
}

/// A fresh connection's `GET path` round trip (status 200 required), `samples` times, 50 ms
/// apart. On a loaded machine one sample may be slow for reasons of its own, so a sample at or
/// over `retryOver` is measured once more: the measurement is retried, never the behaviour (the
/// attack keeps running meanwhile).
public func freshClientLatencies(port: Int, path: String = "/metrics", samples: Int, retryOver: Double = 1) throws -> [Double] {
    func once() throws -> Double {
        let start = Date()
        let r = try HTTPTestClient.request(port: port, path: path, timeout: 5)
        guard r.status == 200 else { throw HTTPTestClient.Failure(description: "\(path) answered \(r.status)") }
        return Date().timeIntervalSince(start)
    }
    var out: [Double] = []
    for _ in 0..<samples {
        var d = try once()
        if d >= retryOver { d = try once() }
        out.append(d)
        usleep(50_000)
    }
    return out
}
