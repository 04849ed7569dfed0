import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A hostile or broken Redis on 127.0.0.1: it reads RESP commands (arrays of bulk strings, as
/// hiredis sends them) and answers each as `answer` says — a whole reply, or a reply that
/// never ends: a header (`$4000000000\r\n`) then filler bytes as fast as the client takes
/// them, or one byte at a time. Every loop is bounded (`limit` bytes, `seconds`); a thread per
/// connection, none on the concurrency pool.
public final class FakeRedisServer: @unchecked Sendable {
    public enum Answer: Sendable {
        /// These bytes, a whole reply.
        case reply([UInt8])
        /// `header`, then filler bytes in 64 KiB writes until the client leaves or `limit` bytes.
        case endless(header: [UInt8], limit: Int)
        /// `header`, then one filler byte every `every` seconds, at most `limit`.
        case trickle(header: [UInt8], every: Double, limit: Int)
    }

    public struct Failure: Error {}

    public let port: Int
    private let listener: Int32
    private let answer: @Sendable ([String]) -> Answer
    private let state = Mutex(State())

    private struct State {
        var stopped = false
        var fillerSent = 0
        var commands: [[String]] = []
        var connections = 0
    }

    /// Filler bytes written to clients so far (endless and trickling answers), what the kernel
    /// accepted: at least what the clients read.
    public var fillerSent: Int { state.withLock { $0.fillerSent } }
    /// Every command received, in order.
    public var commands: [[String]] { state.withLock { $0.commands } }
    public var connections: Int { state.withLock { $0.connections } }

    public init(_ answer: @escaping @Sendable ([String]) -> Answer) throws {
        do {
            (listener, port) = try SilentListener.listening(backlog: 16)
        } catch {
            throw Failure()
        }
        self.answer = answer
        let accepting = Thread { [self] in acceptLoop() }
        accepting.start()
    }

    deinit { stop() }

    /// Stops accepting and ends every answer at its next write.
    public func stop() {
        let first = state.withLock { s -> Bool in
            defer { s.stopped = true }
            return !s.stopped
        }
        if first { shutdown(listener, Int32(SHUT_RDWR)) }
    }

    private var stopped: Bool { state.withLock { $0.stopped } }

    private func acceptLoop() {
        defer { Glibc.close(listener) }
        while !stopped {
            var p = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 100) >= 0 else { return }
            guard p.revents != 0, !stopped else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            state.withLock { $0.connections += 1 }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let serving = Thread { [self] in serve(client) }
            serving.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { Glibc.close(fd) }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let started = ContinuousClock.now
        while !stopped, ContinuousClock.now - started < .seconds(120) {
            while let (command, used) = Self.parseCommand(buffer) {
                buffer.removeFirst(used)
                state.withLock { $0.commands.append(command) }
                guard answerOnce(answer(command), fd) else { return }
            }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 100) >= 0 else { return }
            guard p.revents != 0 else { continue }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return }
            buffer += chunk[0..<n]
        }
    }

    /// Writes one answer; false when the client has gone (or the server stopped).
    private func answerOnce(_ a: Answer, _ fd: Int32) -> Bool {
        switch a {
        case .reply(let bytes):
            return send(bytes, fd)
        case .endless(let header, let limit):
            guard send(header, fd) else { return false }
            let filler = [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024)
            var sent = 0
            while sent < limit, !stopped {
                let n = min(filler.count, limit - sent)
                guard send(Array(filler[0..<n]), fd) else { return false }
                sent += n
                state.withLock { $0.fillerSent += n }
            }
            return true
        case .trickle(let header, let every, let limit):
            guard send(header, fd) else { return false }
            for _ in 0..<limit where !stopped {
                Thread.sleep(forTimeInterval: every)
                guard send([UInt8(ascii: "x")], fd) else { return false }
                state.withLock { $0.fillerSent += 1 }
            }
            return true
        }
    }

    private func send(_ bytes: [UInt8], _ fd: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    /// One RESP command (`*N\r\n` then N `$len\r\nbytes\r\n`) at the start of `b`, and the
    /// bytes it took; nil while incomplete.
    static func parseCommand(_ b: [UInt8]) -> ([String], Int)? {
        var i = 0
        func line() -> String? {
            var j = i
            while j + 1 < b.count {
                if b[j] == 13, b[j + 1] == 10 {
                    let s = String(decoding: b[i..<j], as: UTF8.self)
                    i = j + 2
                    return s
                }
                j += 1
            }
            return nil
        }
        guard let head = line(), head.hasPrefix("*"), let n = Int(head.dropFirst()), n >= 0 else { return nil }
        var args: [String] = []
        for _ in 0..<n {
            guard let l = line(), l.hasPrefix("$"), let len = Int(l.dropFirst()), len >= 0, i + len + 2 <= b.count else { return nil }
            args.append(String(decoding: b[i..<(i + len)], as: UTF8.self))
            i += len + 2
        }
        return (args, i)
    }
}
