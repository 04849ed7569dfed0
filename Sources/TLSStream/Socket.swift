#if canImport(Glibc)
import Glibc
#endif

/// Non-blocking TCP for `TLSStream`: connect, send and receive, each bounded by a deadline.
enum Socket {
    static func isIPAddress(_ s: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, s, &v4) == 1 || inet_pton(AF_INET6, s, &v6) == 1
    }

    /// Resolves `host` (blocking, as hiredis and libpq do) and connects to the first address
    /// that accepts before `deadline`. Returns a non-blocking descriptor.
    static func connect(host: String, port: Int, deadline: ContinuousClock.Instant) throws(TLSStreamError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            let why = rc == 0 ? "no address" : String(cString: gai_strerror(rc))
            throw TLSStreamError(.connect, "cannot resolve \(host): \(why)")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var current: UnsafeMutablePointer<addrinfo>? = first
        // The resolver's list is finite; each attempt ends by the deadline.
        while let ai = current {
            current = ai.pointee.ai_next
            let fd = socket(ai.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                lastError = String(cString: strerror(errno))
                continue
            }
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 { return fd }
            guard errno == EINPROGRESS else {
                lastError = String(cString: strerror(errno))
                _ = Glibc.close(fd)
                continue
            }
            do {
                try wait(fd, Int16(POLLOUT), deadline: deadline, what: "connecting to \(host):\(port)")
            } catch {
                _ = Glibc.close(fd)
                throw error
            }
            var soError: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len)
            if soError == 0 { return fd }
            lastError = String(cString: strerror(soError))
            _ = Glibc.close(fd)
        }
        throw TLSStreamError(.connect, "cannot connect to \(host):\(port): \(lastError)")
    }

    /// Waits until `fd` is ready for `events`, no later than `deadline`.
    static func wait(_ fd: Int32, _ events: Int16, deadline: ContinuousClock.Instant, what: String) throws(TLSStreamError) {
        // EINTR restarts the wait with what is left; the deadline bounds the loop.
        while true {
            let left = deadline - .now
            let ms = Int32(clamping: (left.components.seconds * 1000) + (left.components.attoseconds / 1_000_000_000_000_000) + 1)
            guard left > .zero else { throw TLSStreamError(.timeout, "timed out \(what)") }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let r = poll(&p, 1, max(1, ms))
            if r > 0 { return }
            if r < 0, errno != EINTR { throw TLSStreamError(.io, "poll failed \(what): \(String(cString: strerror(errno)))") }
        }
    }

    static func sendAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>, deadline: ContinuousClock.Instant) throws(TLSStreamError) {
        var offset = bytes.startIndex
        // Each pass sends bytes, or waits (bounded by the deadline), or throws.
        while offset < bytes.endIndex {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                offset += n
            } else if n < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                try wait(fd, Int16(POLLOUT), deadline: deadline, what: "sending")
            } else if n < 0, errno == EINTR {
                continue
            } else {
                throw TLSStreamError(.io, "send failed: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Bytes received into `buffer` (0 at the end of the stream), waiting no later than `deadline`.
    static func receive(_ fd: Int32, into buffer: inout [UInt8], deadline: ContinuousClock.Instant) throws(TLSStreamError) -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n >= 0 { return n }
            if errno == EAGAIN || errno == EWOULDBLOCK {
                try wait(fd, Int16(POLLIN), deadline: deadline, what: "waiting for the server")
            } else if errno != EINTR {
                let e = errno
                if e == ECONNRESET { return 0 }
                throw TLSStreamError(.io, "receive failed: \(String(cString: strerror(e)))")
            }
        }
    }
}
