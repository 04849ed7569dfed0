#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCurl

/// A TCP connection (TLS on top when opened with `tls`) held by a libcurl handle in
/// connect-only mode, read and written with `curl_easy_recv`/`curl_easy_send` and waited on
/// with `poll` up to a deadline. Used by one thread; `close()` releases it.
public final class TCPStream {
    private var handle: UnsafeMutableRawPointer?
    private let socket: curl_socket_t
    /// The address connected to.
    public let primaryIP: String?
    /// Resolve, connect and TLS handshake times.
    public let timings: PhaseTimings
    /// The TLS session, nil on a plain connection.
    public private(set) var tls: TLSSessionInfo?
    /// Bytes received but not yet handed out by `readLine`.
    private var buffered: [UInt8] = []
    private var closedByPeer = false

    init(handle: UnsafeMutableRawPointer, socket: curl_socket_t, primaryIP: String?, timings: PhaseTimings, tls: Bool) {
        self.handle = handle
        self.socket = socket
        self.primaryIP = primaryIP
        self.timings = timings
        if tls {
            // libcurl detaches a connect-only connection from its handle when the "transfer"
            // ends and re-attaches it on the first recv/send: one non-blocking receive (its
            // bytes kept) makes the TLS session readable.
            pollOnce()
            self.tls = HTTPClient.tlsInfo(handle)
        }
    }

    private func pollOnce() {
        guard let handle else { return }
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        var received = 0
        let code = chunk.withUnsafeMutableBufferPointer { buf in curl_easy_recv(handle, buf.baseAddress, buf.count, &received) }
        if code == CURLE_OK {
            if received == 0 { closedByPeer = true } else { buffered.append(contentsOf: chunk[..<received]) }
        }
    }

    deinit { close() }

    public func close() {
        if let handle { curl_easy_cleanup(handle) }
        handle = nil
    }

    /// Sends all of `bytes` before `deadline`.
    public func send(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(HTTPClientError) {
        guard let handle else { throw HTTPClientError(.connect, "connection closed") }
        var offset = 0
        while offset < bytes.count {
            var sent = 0
            let code = bytes.withUnsafeBufferPointer { buf in
                curl_easy_send(handle, buf.baseAddress! + offset, buf.count - offset, &sent)
            }
            switch code {
            case CURLE_OK: offset += sent
            case CURLE_AGAIN: try wait(for: Int16(POLLOUT), deadline: deadline)
            default: throw HTTPClientError(.connect, "send failed (\(String(cString: curl_easy_strerror(code))))")
            }
        }
    }

    /// The next line (without its `\n` and a `\r` before it), nil at the end of the stream.
    /// A line longer than `maxLineBytes` fails the read.
    public func readLine(maxLineBytes: Int = 64 << 10, deadline: ContinuousClock.Instant) throws(HTTPClientError) -> [UInt8]? {
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffered[..<newline])
                buffered.removeSubrange(...newline)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return line
            }
            if buffered.count > maxLineBytes { throw HTTPClientError(.tooLarge, "line longer than \(maxLineBytes) bytes") }
            if closedByPeer {
                guard !buffered.isEmpty else { return nil }
                defer { buffered = [] }
                return buffered
            }
            try receiveSome(deadline: deadline)
        }
    }

    private func receiveSome(deadline: ContinuousClock.Instant) throws(HTTPClientError) {
        guard let handle else { throw HTTPClientError(.connect, "connection closed") }
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        // Bounded: every round either returns, or waits on poll with a shrinking deadline.
        while true {
            var received = 0
            let code = chunk.withUnsafeMutableBufferPointer { buf in curl_easy_recv(handle, buf.baseAddress, buf.count, &received) }
            switch code {
            case CURLE_OK:
                if received == 0 { closedByPeer = true } else { buffered.append(contentsOf: chunk[..<received]) }
                return
            case CURLE_AGAIN:
                try wait(for: Int16(POLLIN), deadline: deadline)
            default:
                throw HTTPClientError(.connect, "receive failed (\(String(cString: curl_easy_strerror(code))))")
            }
        }
    }

    private func wait(for events: Int16, deadline: ContinuousClock.Instant) throws(HTTPClientError) {
        let left = HTTPClient.milliseconds((deadline - ContinuousClock.now).seconds)
        guard left > 0 else { throw HTTPClientError(.timeout, "timed out") }
        var fd = pollfd(fd: socket, events: events, revents: 0)
        let n = poll(&fd, 1, Int32(min(left, Int(Int32.max))))
        if n == 0 { throw HTTPClientError(.timeout, "timed out") }
        if n < 0, errno != EINTR { throw HTTPClientError(.connect, "poll failed") }
    }
}
