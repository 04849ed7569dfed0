#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A blocking TCP connection to 127.0.0.1 with a receive timeout: the tests' HTTP client,
/// so every byte on the wire is under the test's control.
public final class RawConnection {
    public let fd: Int32

    /// Connects to `host` (an IPv4 or IPv6 literal, default 127.0.0.1) on `port`.
    public init(port: Int, host: String = "127.0.0.1", receiveTimeoutSeconds: Double = 5) throws {
        let family = host.contains(":") ? AF_INET6 : AF_INET
        #if canImport(Glibc)
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(family, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw HTTPTestClient.Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: Int(receiveTimeoutSeconds), tv_usec: Int((receiveTimeoutSeconds - Double(Int(receiveTimeoutSeconds))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let rc: Int32
        if family == AF_INET6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(port).bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard rc == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw HTTPTestClient.Failure(description: "connect: \(message)")
        }
        self.fd = fd
    }

    private init(fd: Int32) { self.fd = fd }

    /// `count` connections started at once (non-blocking connects, so none waits for the one
    /// before it: a real burst), then given up to `settle` seconds to complete. Connections the
    /// server's backlog has no room for yet stay pending in the kernel, retrying, like an
    /// attacker's would. Returns every socket, complete or pending (non-blocking).
    public static func burst(port: Int, count: Int, settle: Double = 3) -> [RawConnection] {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var clients: [RawConnection] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { break }
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            clients.append(RawConnection(fd: fd))
        }
        // Wait (bounded) for the handshakes that can complete now.
        let end = ContinuousClock.now + .seconds(settle)
        var pending = clients.map { pollfd(fd: $0.fd, events: Int16(POLLOUT), revents: 0) }
        while !pending.isEmpty && ContinuousClock.now < end {
            _ = poll(&pending, nfds_t(pending.count), 100)
            pending = pending.filter { $0.revents == 0 }.map { pollfd(fd: $0.fd, events: $0.events, revents: 0) }
        }
        return clients
    }

    deinit { close(fd) }

    /// Whether the server closed or shut down the connection: a non-blocking peek reads EOF.
    public func peerClosed() -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if n == 0 { return true }
        if n < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        return false
    }

    /// Reads to EOF, a reset or the receive timeout, whichever is first; never throws.
    public func readAll() -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return result }
            result.append(contentsOf: buffer[0..<n])
        }
    }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw HTTPTestClient.Failure(description: "send: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Reads until the peer closes. Throws on timeout or error.
    public func readToEOF() throws -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return result }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == ECONNRESET { return result }
                throw HTTPTestClient.Failure(description: "recv: \(String(cString: strerror(errno))) after \(result.count) bytes")
            }
            result.append(contentsOf: buffer[0..<n])
        }
    }

    /// Sends a request and reads the response up to EOF (send `Connection: close`).
    public func exchange(_ request: String) throws -> HTTPTestClient.Response {
        try send(request)
        let method = request.prefix { $0 != " " }
        return try HTTPTestClient.parse(readToEOF(), method: String(method))
    }
}

/// One request on a fresh connection.
public func fetch(port: Int, host: String = "127.0.0.1", _ request: String) throws -> HTTPTestClient.Response {
    try RawConnection(port: port, host: host).exchange(request)
}
