import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif
public import Synchronization

/// A raw TCP client on 127.0.0.1 whose every byte is under the test's control: the attacker's
/// side of the connection-attack tests.
public final class RawTCPClient {
    public let fd: Int32

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private init(fd: Int32) { self.fd = fd }

    /// `count` connections started at once (non-blocking connects, so none waits for the one
    /// before it: a real burst), then given up to `settle` seconds to complete. Connections the
    /// server's backlog has no room for yet stay pending in the kernel, retrying, like an
    /// attacker's would. Returns every socket, complete or pending.
    public static func burst(port: Int, count: Int, settle: Double = 3) -> [RawTCPClient] {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        var clients: [RawTCPClient] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { break }
            _ = withUnsafePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            clients.append(RawTCPClient(fd: fd))
        }
        // Wait (bounded) for the handshakes that can complete now.
        let end = Date().addingTimeInterval(settle)
        var pending = clients.map { pollfd(fd: $0.fd, events: Int16(POLLOUT), revents: 0) }
        while !pending.isEmpty && Date() < end {
            _ = poll(&pending, nfds_t(pending.count), 100)
            pending = pending.filter { $0.revents == 0 }.map { pollfd(fd: $0.fd, events: $0.events, revents: 0) }
        }
        return clients
    }

    public init(port: Int, receiveTimeout: Double = 5) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var tv = timeval(tv_sec: Int(receiveTimeout), tv_usec: Int((receiveTimeout - Double(Int(receiveTimeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw Failure(description: "connect to port \(port): errno \(e)")
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Sends every byte (MSG_NOSIGNAL: a closed peer is an error, not a signal).
    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
            offset += n
        }
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Reads to EOF (or the receive timeout).
    public func readAll() -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return out }
            out.append(contentsOf: buffer[0..<n])
        }
    }

    /// Whether the server closed or shut down the connection: a non-blocking peek reads EOF.
    public func peerClosed() -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if n == 0 { return true }
        if n < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        return false
    }
}

/// `connections` clients that send a request header one byte a second and reconnect when cut
/// off, on a thread of their own, until stopped (at most 60 s, at most 4 reconnects per client).
public final class Slowloris: @unchecked Sendable {
    public let opened = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    public init(port: Int, connections: Int) {
        let header = Array(("GET /metrics HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X-Pad: 0123456789\r\n", count: 200)).utf8)
        DispatchQueue(label: "slowloris").async { [self] in
            var clients: [(RawTCPClient?, Int)] = []
            var reconnects = 0
            for _ in 0..<connections where !stopped.load(ordering: .relaxed) {
                clients.append((try? RawTCPClient(port: port), 0))
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
                        clients[i] = (try? RawTCPClient(port: port), 0)
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
        guard r.status == 200 else { throw RawTCPClient.Failure(description: "\(path) answered \(r.status)") }
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
