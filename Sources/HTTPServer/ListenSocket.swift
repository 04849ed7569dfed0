#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Creates the listening socket for a `ListenAddress` so that every failure carries the
/// address and `strerror` text. The descriptor is non-blocking and close-on-exec; on
/// success its ownership passes to the caller (libmicrohttpd closes it on stop).
enum ListenSocket {
    /// Listen backlog passed to listen(2): the kernel's ceiling (`net.core.somaxconn`, 4096 on
    /// current Linux), as Go's net package does, so a burst of connections waits in the queue
    /// (where eviction makes room for it) instead of being dropped and retried a second later.
    static let backlog: Int32 = systemBacklogCeiling()

    static func systemBacklogCeiling() -> Int32 {
        let fallback: Int32 = 4096
        guard let file = fopen("/proc/sys/net/core/somaxconn", "r") else { return fallback }
        defer { fclose(file) }
        var value: Int32 = 0
        guard withUnsafeMutablePointer(to: &value, { readInt32(file, $0) }), value > 0 else { return fallback }
        return min(value, 65535)
    }

    private static func readInt32(_ file: UnsafeMutablePointer<FILE>, _ out: UnsafeMutablePointer<Int32>) -> Bool {
        var buffer = [CChar](repeating: 0, count: 32)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return false }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let n = Int32(trimmedSpace(text)) else { return false }
        out.pointee = n
        return true
    }

    static func open(_ address: ListenAddress, as written: String) throws(HTTPServerError) -> Int32 {
        func fail(_ reason: String) -> HTTPServerError { .cannotListen(address: written, reason: reason) }
        switch address.host {
        case .any:
            // Dual-stack [::] when IPv6 is usable here; otherwise plain IPv4 0.0.0.0.
            do {
                return try bindIPv6(in6addr_any, port: address.port, dualStack: true)
            } catch let errno6 {
                if errno6.value == EADDRINUSE || errno6.value == EACCES { throw fail(errno6.message) }
                do {
                    return try bindIPv4(in_addr(s_addr: INADDR_ANY), port: address.port)
                } catch {
                    throw fail(error.message)
                }
            }
        case .ipv4(let literal):
            var a = in_addr()
            guard inet_pton(AF_INET, literal, &a) == 1 else { throw fail("'\(literal)' is not an IPv4 address") }
            do { return try bindIPv4(a, port: address.port) } catch { throw fail(error.message) }
        case .ipv6(let literal):
            var a = in6_addr()
            guard inet_pton(AF_INET6, literal, &a) == 1 else { throw fail("'\(literal)' is not an IPv6 address") }
            let isAny = withUnsafeBytes(of: &a) { $0.allSatisfy { $0 == 0 } }
            do { return try bindIPv6(a, port: address.port, dualStack: isAny) } catch { throw fail(error.message) }
        case .name(let name):
            let candidates: [Resolved]
            do { candidates = try resolve(name) } catch { throw fail(error.message) }
            // Like Go's net.Listen: one address only, IPv4 preferred.
            var lastError = SocketError(value: EADDRNOTAVAIL, message: "no address found for \(name)")
            for candidate in candidates {
                do {
                    switch candidate {
                    case .v4(let a): return try bindIPv4(a, port: address.port)
                    case .v6(let a): return try bindIPv6(a, port: address.port, dualStack: false)
                    }
                } catch {
                    lastError = error
                    if error.value == EADDRINUSE || error.value == EACCES { break }
                }
            }
            throw fail(lastError.message)
        }
    }

    /// The port a bound socket listens on (getsockname), 0 when unknown.
    static func boundPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { return 0 }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
        default:
            return 0
        }
    }

    // MARK: - Internals

    struct SocketError: Error {
        let value: Int32
        let message: String

        static func current() -> SocketError {
            let code = errno
            return SocketError(value: code, message: String(cString: strerror(code)))
        }
    }

    enum Resolved {
        case v4(in_addr)
        case v6(in6_addr)
    }

    #if canImport(Glibc)
    private static let plainStream = Int32(SOCK_STREAM.rawValue)
    private static let closeOnExec = Int32(SOCK_CLOEXEC.rawValue)
    #else
    private static let plainStream = SOCK_STREAM
    private static let closeOnExec: Int32 = 0
    #endif

    private static func streamType() -> Int32 { plainStream | closeOnExec }

    private static func bindIPv4(_ a: in_addr, port: UInt16) throws(SocketError) -> Int32 {
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = port.bigEndian
        sa.sin_addr = a
        return try bindAndListen(family: AF_INET, address: sa, dualStack: nil)
    }

    private static func bindIPv6(_ a: in6_addr, port: UInt16, dualStack: Bool) throws(SocketError) -> Int32 {
        var sa = sockaddr_in6()
        sa.sin6_family = sa_family_t(AF_INET6)
        sa.sin6_port = port.bigEndian
        sa.sin6_addr = a
        return try bindAndListen(family: AF_INET6, address: sa, dualStack: dualStack)
    }

    private static func bindAndListen<Address>(family: Int32, address: Address, dualStack: Bool?) throws(SocketError) -> Int32 {
        let fd = socket(family, streamType(), 0)
        guard fd >= 0 else { throw SocketError.current() }
        var one: Int32 = 1
        var ok = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) == 0
        if ok, let dualStack {
            var v6only: Int32 = dualStack ? 0 : 1
            ok = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &v6only, socklen_t(MemoryLayout<Int32>.size)) == 0
        }
        if ok {
            var address = address
            ok = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<Address>.size)) == 0
                }
            }
        }
        if ok { ok = listen(fd, backlog) == 0 }
        if ok {
            let flags = fcntl(fd, F_GETFL)
            ok = flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0
        }
        guard ok else {
            let error = SocketError.current()
            close(fd)
            throw error
        }
        return fd
    }

    private static func resolve(_ name: String) throws(SocketError) -> [Resolved] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = plainStream
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(name, nil, &hints, &list)
        guard rc == 0 else {
            throw SocketError(value: EADDRNOTAVAIL, message: "cannot resolve \(name): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var v4: [Resolved] = []
        var v6: [Resolved] = []
        var node = list
        while let entry = node {
            if let sa = entry.pointee.ai_addr {
                switch entry.pointee.ai_family {
                case AF_INET:
                    let a = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                    v4.append(.v4(a))
                case AF_INET6:
                    let a = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    v6.append(.v6(a))
                default:
                    break
                }
            }
            node = entry.pointee.ai_next
        }
        return v4 + v6
    }
}
