import Foundation
import Synchronization
import Testing
import VigilTestSupport

/// A webhook receiver on 127.0.0.1 that records every POST (body and headers) and answers with
/// a status the test chooses.
final class RecordingReceiver: @unchecked Sendable {
    struct Request: Sendable {
        var path: String
        var headers: [String: String]
        var body: String
        var at: Date
    }

    let port: Int
    private let fd: Int32
    private let state = Mutex<(requests: [Request], status: Int, open: Bool)>(([], 200, true))

    init() throws {
        let listener = try SilentListener()
        port = listener.port
        listener.close()
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 64) == 0 else { throw SilentListener.Failure() }
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    func close() {
        state.withLock { $0.open = false }
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }

    var requests: [Request] { state.withLock { $0.requests } }
    func answer(_ status: Int) { state.withLock { $0.status = status } }

    private func serve() {
        while state.withLock({ $0.open }) {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            var tv = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var data: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 65536)
            var request: Request?
            while request == nil {
                let n = buf.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { break }
                data.append(contentsOf: buf[0..<n])
                request = Self.parse(data)
            }
            let status = state.withLock { s -> Int in
                if let request { s.requests.append(request) }
                return s.status
            }
            let reply = "HTTP/1.1 \(status) X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            _ = reply.withCString { send(client, $0, strlen($0), 0) }
            Glibc.close(client)
        }
    }

    static func parse(_ data: [UInt8]) -> Request? {
        let text = String(decoding: data, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<end.lowerBound].components(separatedBy: "\r\n")
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let body = String(text[end.upperBound...])
        guard body.utf8.count >= Int(headers["content-length"] ?? "0") ?? 0 else { return nil }
        let path = lines.first?.split(separator: " ").dropFirst().first.map(String.init) ?? ""
        return Request(path: path, headers: headers, body: body, at: Date())
    }
}

@Suite("vigil notifications end to end", .serialized)
struct NotifyEndToEndTests {
    static func config(dir: URL, receiverPort: Int, forDuration: String = "0s", groupInterval: String = "1h") throws -> String {
        let rules = dir.appendingPathComponent("rules.yml")
        try """
            groups:
              - name: e2e
                rules:
                  - alert: VigilUp
                    expr: vigil_build_info == 1
                    for: \(forDuration)
                    labels: {severity: page}
                    annotations: {summary: "Vigil runs", description: "the binary is up"}
            """.write(to: rules, atomically: true, encoding: .utf8)
        return """
            global: {collect_interval: 1s, state_dir: "\(dir.path)/state", external_url: "http://vigil.test"}
            rule_files: ["\(rules.path)"]
            alerting:
              route: {receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: \(groupInterval), repeat_interval: 1h}
              receivers:
                - name: hook
                  webhook_configs: [{url: "http://127.0.0.1:\(receiverPort)/alerts"}]
            """
    }

    @Test("a firing alert reaches a webhook as Alertmanager's v4 payload within a second of the evaluation that fires it")
    func webhookLatency() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let receiver = try RecordingReceiver()
        defer { receiver.close() }
        let vigil = try VigilProcess(binary: bin, config: try Self.config(dir: dir, receiverPort: receiver.port, forDuration: "2s"))
        #expect(vigil.waitReady())
        #expect(eventually(10) { !receiver.requests.isEmpty }, "\(vigil.log)")
        guard let first = receiver.requests.first else { return }
        let payload = try #require(try JSONSerialization.jsonObject(with: Data(first.body.utf8)) as? [String: Any])
        #expect(payload["version"] as? String == "4")
        #expect(payload["status"] as? String == "firing")
        #expect(payload["receiver"] as? String == "hook")
        #expect(payload["externalURL"] as? String == "http://vigil.test")
        let alerts = try #require(payload["alerts"] as? [[String: Any]])
        let labels = try #require(alerts.first?["labels"] as? [String: String])
        #expect(labels["alertname"] == "VigilUp" && labels["severity"] == "page")
        #expect((alerts.first?["generatorURL"] as? String)?.hasPrefix("http://vigil.test/api/v1/query?query=") == true)
        #expect(first.headers["idempotency-key"]?.isEmpty == false)
        // The alert fired at the first evaluation at or after activeAt + 2 s; evaluations follow
        // collections every second, so the webhook arrives within 2 + 1 (evaluation) + 1 s.
        let startsAt = try #require((alerts.first?["startsAt"] as? String).flatMap { try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse($0) })
        #expect(first.at.timeIntervalSince(startsAt) < 4, "arrived \(first.at.timeIntervalSince(startsAt)) s after activeAt")
        _ = vigil.terminate()
    }

    @Test("a receiver that is down while Vigil is killed with SIGKILL gets the notification after the restart, with the same idempotency key")
    func survivesCrash() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let receiver = try RecordingReceiver()
        defer { receiver.close() }
        receiver.answer(503)
        let config = try Self.config(dir: dir, receiverPort: receiver.port)
        let first = try VigilProcess(binary: bin, config: config)
        #expect(first.waitReady())
        #expect(eventually(10) { !receiver.requests.isEmpty }, "\(first.log)")
        let key = receiver.requests.first?.headers["idempotency-key"]
        first.signal(SIGKILL)
        #expect(eventually(5) { !first.isRunning })

        receiver.answer(200)
        let before = receiver.requests.count
        let second = try VigilProcess(binary: bin, config: config)
        #expect(second.waitReady())
        #expect(eventually(15) { receiver.requests.count > before }, "\(second.log)")
        Thread.sleep(forTimeInterval: 2)  // time for a second, wrongly keyed message to show up
        let keys = Set(receiver.requests.compactMap { $0.headers["idempotency-key"] })
        #expect(keys == [key ?? "missing"], "every delivery of the one notification carries its key: \(keys)")
        #expect(second.metrics().contains("vigil_notification"))
        _ = second.terminate()
    }

    @Test("vigil silence add mutes the alert (counted, nothing delivered); after vigil silence expire it is delivered")
    func silenceCLI() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let receiver = try RecordingReceiver()
        defer { receiver.close() }
        let vigil = try VigilProcess(binary: bin, config: try Self.config(dir: dir, receiverPort: receiver.port,
                                                                           forDuration: "3s", groupInterval: "2s"))
        #expect(vigil.waitHealthy())
        let url = "http://127.0.0.1:\(vigil.port)"
        let add = try Subprocess.run(bin, ["silence", "add", "--url", url, "--comment", "maintenance", "--duration", "10m", "alertname=VigilUp"])
        #expect(add.status == 0, "\(add.stderr)")
        let id = add.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let list = try Subprocess.run(bin, ["silence", "list", "--url", url])
        #expect(list.stdout.contains(id) && list.stdout.contains("active") && list.stdout.contains("maintenance"))
        #expect(eventually(8) { vigil.metrics().contains("vigil_alerts_muted_total{reason=\"silenced\"}") }, "\(vigil.metrics())")
        #expect(receiver.requests.isEmpty)
        let expire = try Subprocess.run(bin, ["silence", "expire", "--url", url, id])
        #expect(expire.status == 0, "\(expire.stderr)")
        #expect(eventually(8) { !receiver.requests.isEmpty })
        let bad = try Subprocess.run(bin, ["silence", "add", "--url", url, "--comment", "x", "foo=~\"("])
        #expect(bad.status != 0 && bad.stderr.contains("invalid matcher"))
        _ = vigil.terminate()
    }
}
