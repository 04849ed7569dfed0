#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// One request as the test receiver saw it.
struct CapturedRequest: Sendable {
    var method: String
    var path: String
    /// Lowercased names.
    var headers: [String: String]
    var body: Data
    var arrivedAt: Date

    var json: Any? { try? JSONSerialization.jsonObject(with: body) }
    var object: [String: Any] { (json as? [String: Any]) ?? [:] }
}

/// What the receiver does with a request.
enum ReceiverReply: Sendable {
    case respond(status: Int, headers: [(String, String)] = [], body: String = "ok")
    /// Keeps the connection open without answering until the receiver stops (or `seconds`).
    case hold(seconds: Double)
}

/// A real HTTP/1.1 server on 127.0.0.1 (raw sockets, one thread per connection, one request
/// per connection): the tests' stand-in for Slack, PagerDuty, Discord, Teams and webhooks.
final class TestReceiver: Sendable {
    let port: Int
    private let fd: Int32
    private let state = Mutex<(requests: [CapturedRequest], stopped: Bool, clients: [Int32])>(([], false, []))
    private let reply: @Sendable (CapturedRequest, Int) -> ReceiverReply

    /// `reply` gets each request and its 0-based index.
    init(reply: @escaping @Sendable (CapturedRequest, Int) -> ReceiverReply = { _, _ in .respond(status: 200) }) throws {
        self.reply = reply
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw CocoaError(.fileWriteUnknown)
        }
        var bound = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: bound.sin_port))
        let thread = Thread { [self] in self.acceptLoop() }
        thread.start()
    }

    var url: String { "http://127.0.0.1:\(port)" }

    var requests: [CapturedRequest] { state.withLock { $0.requests } }

    /// Waits (polling) until at least `count` requests arrived or `timeout` passed.
    func wait(for count: Int, timeout: Double) async -> [CapturedRequest] {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            let r = requests
            if r.count >= count { return r }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return requests
    }

    func stop() {
        let clients = state.withLock { s -> [Int32] in
            s.stopped = true
            return s.clients
        }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        for c in clients { shutdown(c, Int32(SHUT_RDWR)) }
    }

    private var stopped: Bool { state.withLock { $0.stopped } }

    private func acceptLoop() {
        while !stopped {
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            state.withLock { $0.clients.append(client) }
            let thread = Thread { [self] in self.serve(client) }
            thread.start()
        }
    }

    private func serve(_ client: Int32) {
        defer {
            state.withLock { $0.clients.removeAll { $0 == client } }
            close(client)
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var headEnd: Int?
        while headEnd == nil {
            let n = recv(client, &chunk, chunk.count, 0)
            if n <= 0 { return }
            buffer += chunk[0..<n]
            headEnd = Self.find(buffer, [13, 10, 13, 10])
        }
        guard let headEnd else { return }
        let head = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        if headers["expect"]?.lowercased() == "100-continue" {
            let cont = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
            _ = send(client, cont, cont.count, Int32(MSG_NOSIGNAL))
        }
        var body = Array(buffer[(headEnd + 4)...])
        while body.count < length {
            let n = recv(client, &chunk, chunk.count, 0)
            if n <= 0 { return }
            body += chunk[0..<n]
        }
        let request = CapturedRequest(method: requestLine.first.map(String.init) ?? "", path: requestLine.dropFirst().first.map(String.init) ?? "",
                                      headers: headers, body: Data(body.prefix(length)), arrivedAt: Date())
        let index = state.withLock { s -> Int in
            s.requests.append(request)
            return s.requests.count - 1
        }
        switch reply(request, index) {
        case .respond(let status, let extra, let text):
            var response = "HTTP/1.1 \(status) X\r\nContent-Length: \(text.utf8.count)\r\nConnection: close\r\n"
            for (k, v) in extra { response += "\(k): \(v)\r\n" }
            response += "\r\n" + text
            let bytes = Array(response.utf8)
            _ = send(client, bytes, bytes.count, Int32(MSG_NOSIGNAL))
        case .hold(let seconds):
            let end = Date().addingTimeInterval(seconds)
            while !stopped, Date() < end { usleep(20_000) }
        }
    }

    private static func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where Array(haystack[i..<(i + needle.count)]) == needle { return i }
        return nil
    }
}
