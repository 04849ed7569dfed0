import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on 127.0.0.1 that accepts connections (the kernel completes handshakes into
/// the backlog) and never reads or answers: the worst server a client can meet.
public final class SilentListener {
    public let port: Int
    private var fd: Int32

    public struct Failure: Error {
        public init() {}
    }

    public init() throws {
        (fd, port) = try Self.listening(backlog: 128)
    }

    /// A TCP socket listening on 127.0.0.1 on a port the kernel chose (`SO_REUSEADDR` set), and
    /// that port; for every test server that accepts connections itself.
    public static func listening(backlog: Int32) throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure() }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, backlog) == 0 else { Glibc.close(fd); throw Failure() }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard named == 0 else { Glibc.close(fd); throw Failure() }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    deinit { close() }

    /// A port that was free a moment ago.
    public static func freePort() throws -> Int {
        let l = try SilentListener()
        defer { l.close() }
        return l.port
    }
}
